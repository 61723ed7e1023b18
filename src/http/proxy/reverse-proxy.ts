// ANY /{env}/api/* — SPEC §3's reverse proxy: authenticate, apply the route rules, stream to the upstream and back.
import type { Handler } from 'hono';
import type { Environment } from '../../shared/domain.js';
import { upstreamRequestHeaders } from '../../core/proxy-headers.js';
import { AMBIGUOUS_PATH_DETAIL, findRouteRule, isAmbiguousPath, missingScopes, normalizePath } from '../../core/proxy-routes.js';
import { assertNever } from '../../shared/result.js';
import { ApiProblem } from '../errors/api-problem.js';
import { ClientClosedRequest } from '../errors/client-closed.js';
import type { Services } from '../services.js';
import { authenticateCaller } from './authenticate.js';
import { insufficientScope } from './challenges.js';

/** The path the upstream gets: what follows `/{env}/api` in the normalized request path, `/` at least. */
export function upstreamPath(requestPath: string, environment: Environment): string | undefined {
  const normalized = normalizePath(requestPath);
  const prefix = `/${environment}/api`;
  if (normalized !== prefix && !normalized.startsWith(`${prefix}/`)) return undefined;
  return normalized.slice(prefix.length) || '/';
}

/** `response` with one more header; a copy when its headers are immutable (a Response straight from fetch). */
function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set(name, value);
    return copy;
  }
}

export function reverseProxy(services: Services, environment: Environment): Handler {
  const { config, logger, forwarder } = services;

  return async function proxy(c) {
    const upstream = config.upstreams[environment];
    if (!upstream) {
      throw new ApiProblem(404, 'not_found', `no upstream is configured for ${environment}`);
    }
    const url = new URL(c.req.url);
    const path = upstreamPath(url.pathname, environment);
    // Only an odd spelling of the prefix gets here (the router decodes, `url.pathname` does not).
    if (path === undefined) throw new ApiProblem(404, 'not_found', `no route for ${c.req.method} ${url.pathname}`);
    if (isAmbiguousPath(path)) {
      throw new ApiProblem(400, 'invalid_request', AMBIGUOUS_PATH_DETAIL);
    }

    const caller = await authenticateCaller(c, services, environment);
    const rule = findRouteRule(config.routes[environment], c.req.method, path);
    if (rule && missingScopes(rule, caller.scopes).length > 0) throw insufficientScope(environment, rule.scopes);
    if (caller.keyId) services.usage.recordUse(caller.keyId);

    const forwarded = await forwarder.forward({
      url: `${upstream}${path}${url.search}`,
      method: c.req.method,
      headers: upstreamRequestHeaders(c.req.raw.headers, caller, {
        clientIp: services.clientIp(c),
        host: c.req.header('host'),
        proto: url.protocol.replace(/:$/, ''),
        trustedProxies: config.trustedProxies,
      }),
      // GET and HEAD carry no body; not asking for one spares building a web Request per call on Node.
      body: c.req.method === 'GET' || c.req.method === 'HEAD' ? null : c.req.raw.body,
      signal: c.req.raw.signal,
    });
    if (forwarded.ok) return caller.dpopNonce === undefined ? forwarded.value : withHeader(forwarded.value, 'DPoP-Nonce', caller.dpopNonce);
    switch (forwarded.reason) {
      case 'timeout':
        logger.warn('upstream timed out', { environment, method: c.req.method, path });
        throw new ApiProblem(504, 'gateway_timeout', `the upstream made no progress within ${config.upstreamTimeoutMs} ms`);
      case 'unreachable':
        logger.warn('upstream unreachable', { environment, method: c.req.method, path, error: forwarded.detail });
        throw new ApiProblem(502, 'bad_gateway', 'the upstream could not be reached or closed the connection');
      case 'client_closed':
        // Nobody is left to read an answer: a client abort (499), not the upstream's fault.
        throw new ClientClosedRequest('the client closed the connection');
      default:
        return assertNever(forwarded.reason);
    }
  };
}
