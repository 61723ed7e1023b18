// createApp(deps): the router over the services the composition root (services.ts) wires; one onError answers in each API's format.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { HTTPException } from 'hono/http-exception';
import { accountRoutes } from './http/admin/accounts.js';
import { consoleRoutes } from './http/console/routes.js';
import { adminTokenRoutes } from './http/admin/admin-tokens.js';
import { webhookRoutes } from './http/admin/webhooks.js';
import { keyRoutes } from './http/admin/keys.js';
import { operationRoutes } from './http/admin/operations.js';
import { reverseProxy } from './http/proxy/reverse-proxy.js';
import { adminAuthentication, MAX_ADMIN_BODY_BYTES } from './http/admin/request.js';
import { signingKeyRoutes } from './http/admin/signing-keys.js';
import { ApiProblem } from './http/errors/api-problem.js';
import { clientClosedResponse, isClientAbort } from './http/errors/client-closed.js';
import { OAuthError } from './http/errors/oauth-error.js';
import { discoveryEndpoint } from './http/oauth/discovery.js';
import { introspectionEndpoint } from './http/oauth/introspect.js';
import { jwksEndpoint } from './http/oauth/jwks.js';
import { revocationEndpoint } from './http/oauth/revoke.js';
import { tokenEndpoint } from './http/oauth/token.js';
import { tokenInfoEndpoint } from './http/oauth/tokeninfo.js';
import { mountObservability, observeRequests } from './http/observability.js';
import { mountApiDocs } from './http/openapi/routes.js';
import type { AppEnv, Services } from './http/services.js';
import type { ReadinessChecks } from './ports/runtime.js';
import type { ApiReferenceScriptSource } from './ports/api-reference-script.js';
import { createServices, type AppDeps } from './services.js';
import { StoreUnavailableError } from './ports/store-errors.js';
import { ENVIRONMENTS } from './shared/domain.js';

// The OAuth endpoints under /{env}/oauth/, each with the one method it answers.
const OAUTH_ENDPOINTS = [
  ['token', 'POST', tokenEndpoint],
  ['introspect', 'POST', introspectionEndpoint],
  ['revoke', 'POST', revocationEndpoint],
  ['tokeninfo', 'GET', tokenInfoEndpoint],
] as const;

function isOAuthPath(path: string): boolean {
  return /^\/(sandbox|production)\/oauth\//.test(path);
}

/** The gateway: the services createServices wires from `deps`, behind the router. */
export async function createApp(deps: AppDeps) {
  const services = await createServices(deps);
  return createRouter(services, { readiness: deps.readiness ?? {}, apiReferenceScript: deps.apiReferenceScript });
}

/** What the router serves besides the services: the runtime's readiness probes and the /docs script. */
export interface RouterSurfaces {
  readiness: ReadinessChecks;
  apiReferenceScript?: ApiReferenceScriptSource;
}

/** Mounts every surface over `services`; one onError answers in each API's format. */
export function createRouter(services: Services, surfaces: RouterSurfaces) {
  const { config, logger, metrics } = services;
  // RegExpRouter alone (not SmartRouter's pick): a route it cannot take fails every test at once instead of
  // silently moving all requests to the TrieRouter (~8 µs per match against ~1 µs here).
  const app = new Hono<AppEnv>({ router: new RegExpRouter() });
  app.use(observeRequests({ logger, metrics }));
  mountObservability(app, { metrics, readiness: surfaces.readiness, logger });
  mountApiDocs(app, config.publicUrl, surfaces.apiReferenceScript);

  // Every environment's routes spelled out under its own static prefix: hono's RegExpRouter (one regex
  // for the whole table) refuses a `:env{sandbox|production}` parameter beside static siblings such as
  // /healthz and would fall back to its TrieRouter, several µs slower per request.
  for (const environment of ENVIRONMENTS) {
    const at = `/${environment}`;
    // Public OAuth endpoints (SPEC §2).
    app.get(`${at}/.well-known/oauth-authorization-server`, discoveryEndpoint(services, environment));
    app.get(`/.well-known/oauth-authorization-server${at}`, discoveryEndpoint(services, environment));
    app.get(`${at}/.well-known/jwks.json`, jwksEndpoint(services, environment));
    for (const [endpoint, allowed, handler] of OAUTH_ENDPOINTS) {
      app.on(allowed, `${at}/oauth/${endpoint}`, handler(services, environment));
      // Any other method (reached only when the handler above did not answer).
      app.all(`${at}/oauth/${endpoint}`, () => {
        throw new OAuthError(405, 'invalid_request', `use ${allowed} for this endpoint`, { Allow: allowed });
      });
    }

    // Downstream calls (SPEC §3): the reverse proxy, for session tokens and Api-Key.
    const proxy = reverseProxy(services, environment);
    app.all(`${at}/api`, proxy);
    app.all(`${at}/api/*`, proxy);
  }

  // Admin API (SPEC §4).
  const admin = new Hono<AppEnv>();
  admin.use(
    bodyLimit({
      maxSize: MAX_ADMIN_BODY_BYTES,
      onError: () => {
        throw new ApiProblem(413, 'payload_too_large', `the request body is larger than ${MAX_ADMIN_BODY_BYTES} bytes`);
      },
    }),
  );
  admin.use(async function noStore(c, next) {
    await next();
    // Admin answers carry secrets (once) and account data: never cached anywhere.
    c.header('Cache-Control', 'no-store');
  });
  admin.use(adminAuthentication(services));
  admin.route('/', accountRoutes(services));
  admin.route('/', adminTokenRoutes(services));
  admin.route('/', keyRoutes(services));
  admin.route('/', operationRoutes(services));
  admin.route('/', signingKeyRoutes(services));
  admin.route('/', webhookRoutes(services));
  app.route('/admin/v1', admin);

  // Web console over the same admin capabilities (HTML, cookie session, CSRF-checked forms).
  app.route('/console', consoleRoutes(services));

  app.notFound((c) => {
    if (isOAuthPath(c.req.path)) return new OAuthError(400, 'invalid_request', 'no such endpoint').toResponse();
    return new ApiProblem(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`).toResponse();
  });

  app.onError((error, c) => {
    if (isClientAbort(error, c.req.raw)) {
      // The caller hung up (mid-body, typically): nothing failed here, and nobody reads the answer.
      logger.info('client closed the request', {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        error: (error as Error).message,
      });
      return clientClosedResponse();
    }
    if (error instanceof OAuthError || error instanceof ApiProblem) return error.toResponse();
    const oauth = isOAuthPath(c.req.path) || c.req.path.includes('/.well-known/');
    // A store that cannot answer — the session store, or the database (SPEC §6) — is a 503, never a 500.
    if (error instanceof StoreUnavailableError) {
      metrics.storeError(error.store);
      logger.warn(`${error.role} unavailable`, { requestId: c.get('requestId'), path: c.req.path, error: error.message });
      const detail = `the ${error.role} is unavailable; retry shortly`;
      return oauth
        ? new OAuthError(503, 'temporarily_unavailable', detail, { 'Retry-After': '1' }).toResponse()
        : new ApiProblem(503, 'unavailable', detail, { headers: { 'Retry-After': '1' } }).toResponse();
    }
    if (error instanceof HTTPException && error.status < 500) {
      return oauth
        ? new OAuthError(400, 'invalid_request', error.message || 'bad request').toResponse()
        : new ApiProblem(error.status, 'invalid_request', error.message || 'bad request').toResponse();
    }
    logger.error('unhandled error', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      error: String((error as Error).stack ?? error),
    });
    return oauth
      ? new OAuthError(500, 'server_error', 'internal error').toResponse()
      : new ApiProblem(500, 'internal_error', 'internal error').toResponse();
  });

  // The services too: the Node runtime's proxy fast path (runtime/node-proxy-fast-path.ts) calls them directly.
  return Object.assign(app, { services });
}

export type KeymintApp = Awaited<ReturnType<typeof createApp>>;
