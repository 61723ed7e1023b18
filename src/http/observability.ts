// Health, readiness, Prometheus metrics, and the per-request middleware: request id, access log, latency.
import { createRoute } from './openapi/route.js';
import type { Hono, MiddlewareHandler } from 'hono';
import * as z from 'zod';
import type { Logger, Metrics, ReadinessChecks } from '../ports/runtime.js';
import { ApiProblem } from './errors/api-problem.js';
import { json } from './openapi/shared.js';
import type { AppEnv } from './services.js';

export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const routeLabels = new Map<string, string>();

/**
 * A route pattern as OpenAPI spells it: `/sandbox/oauth/token` and `/production/oauth/token` (registered
 * apart, see app.ts) are both `/{env}/oauth/token`; `/accounts/:accountId` is `/accounts/{accountId}`.
 */
export function routeLabel(routePath: string): string {
  if (!routePath) return 'unmatched';
  let label = routeLabels.get(routePath);
  if (label === undefined) {
    label = routePath
      .replace(/^\/(sandbox|production)(?=\/|$)/, '/{env}')
      .replace(/^(\/\.well-known\/[^/]+)\/(sandbox|production)$/, '$1/{env}')
      .replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
    routeLabels.set(routePath, label);
  }
  return label;
}

/**
 * Every request's id, access-log line and latency. The id is a sane incoming X-Request-Id (so a caller's
 * trace id follows the request) or a new one, and every answer carries it, error answers included. One
 * middleware stamping the finished answer once: per request that is the only header work besides the
 * handler's own (hono's request-id middleware, in front of this one, cost a second Headers object).
 */
export function observeRequests(deps: { logger: Logger; metrics: Metrics }): MiddlewareHandler<AppEnv> {
  return async function observe(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    await next();
    try {
      c.res.headers.set('X-Request-Id', requestId);
    } catch {
      // Immutable headers (a Response straight from fetch): copy it first.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set('X-Request-Id', requestId);
    }
    const seconds = (performance.now() - started) / 1000;
    // The route pattern, not the path: ids in paths would explode the label set.
    const route = routeLabel(c.req.routePath);
    deps.metrics.requestObserved(route, c.req.method, c.res.status, seconds);
    // The path without its query: nothing secret goes in keymint's own paths, but proxied queries may.
    deps.logger.info('request', {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(seconds * 10_000) / 10,
    });
  };
}

const readinessSchema = z
  .strictObject({ status: z.enum(['ready', 'unavailable']), checks: z.record(z.string(), z.string()) })
  .meta({ id: 'Readiness' });

export const observabilityRoutes = [
  createRoute({
    method: 'get',
    path: '/healthz',
    tags: ['Operations'],
    summary: 'The process is up',
    responses: { 200: json(z.strictObject({ status: z.literal('ok') }), 'Up') },
  }),
  createRoute({
    method: 'get',
    path: '/readyz',
    tags: ['Operations'],
    summary: 'The database and Redis are reachable',
    responses: { 200: json(readinessSchema, 'Ready'), 503: json(readinessSchema, 'A dependency is down') },
  }),
  createRoute({
    method: 'get',
    path: '/metrics',
    tags: ['Operations'],
    summary: 'Prometheus metrics (Node runtime)',
    responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
  }),
];

export function mountObservability(
  app: Hono<AppEnv>,
  deps: { metrics: Metrics; readiness: ReadinessChecks; logger: Logger },
) {
  app.get('/healthz', (c) => c.json({ status: 'ok' }, 200, { 'Cache-Control': 'no-store' }));

  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (error) {
          // The reason goes to the log only: it may name internal hosts and ports.
          deps.logger.warn('readiness check failed', { check: name, error: (error as Error).message });
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    return c.json({ status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) }, ready ? 200 : 503, {
      'Cache-Control': 'no-store',
    });
  });

  app.get('/metrics', async (c) => {
    const rendered = await deps.metrics.render();
    if (!rendered) throw new ApiProblem(404, 'not_found', 'this runtime keeps no metrics');
    return c.body(rendered.body, 200, { 'Content-Type': rendered.contentType, 'Cache-Control': 'no-store' });
  });
}
