// What a proxied call goes through before it is forwarded, one implementation for both the hono proxy and the Node
// fast path: its service (SPEC §7), the caller, the token's audience, the service's route rules, the key's limits.
import type { Context } from 'hono';
import { checkProxyAccess, routeProxyCall, type ProxyAccessRefusal } from '../../core/gateway.js';
import type { GatewayService } from '../../core/gateway-services.js';
import { hasCallLimits } from '../../core/key-limits.js';
import type { KeyRef } from '../../ports/key-ref.js';
import type { LimitDecision } from '../../ports/key-limiter.js';
import type { ForwardFailure } from '../../ports/upstream-forwarder.js';
import { statusCounter } from '../../ports/usage-meter.js';
import type { Environment } from '../../shared/domain.js';
import { AMBIGUOUS_PATH_DETAIL, normalizePath } from '../../core/proxy-routes.js';
import { assertNever } from '../../shared/result.js';
import { ApiProblem } from '../errors/api-problem.js';
import { ClientClosedRequest } from '../errors/client-closed.js';
import { callRefused } from '../errors/limit-refusals.js';
import type { OAuthError } from '../errors/oauth-error.js';
import type { AccessTokenScheme } from '../oauth/bearer.js';
import { limitHeaders } from '../rate-limit-fields.js';
import type { Services } from '../services.js';
import { authenticateCaller, type ProxyCaller } from './authenticate.js';
import { insufficientScope, invalidToken } from './challenges.js';

/** A call that may go to its upstream. */
export interface AdmittedCall {
  caller: ProxyCaller;
  service: GatewayService;
  /** The upstream URL: the service's upstream, then `pathAndQuery`. */
  target: string;
  /** The path (less the service's prefix with `stripPrefix`) and the query, as they follow the service's upstream. */
  pathAndQuery: string;
  /** The service's idle timeout. */
  timeoutMs: number;
  /**
   * The fields every answer to this call carries: the RateLimit fields (none for a key without limits) and a
   * fresh `DPoP-Nonce` when the call's proof carried one that is getting old.
   */
  answerHeaders: Record<string, string>;
  /** Counts the answer the caller got (the upstream's status, or the proxy's 502/504) in the key's usage. */
  settle(status: number): void;
}

/** The path the upstream gets: what follows `/{env}/api` in the normalized request path, `/` at least. */
export function upstreamPath(requestPath: string, environment: Environment): string | undefined {
  const normalized = normalizePath(requestPath);
  const prefix = `/${environment}/api`;
  if (normalized !== prefix && !normalized.startsWith(`${prefix}/`)) return undefined;
  return normalized.slice(prefix.length) || '/';
}

function accessRefusal(refused: ProxyAccessRefusal, environment: Environment, scheme: AccessTokenScheme | undefined): OAuthError {
  switch (refused.reason) {
    case 'other_audience':
      return invalidToken(environment, 'this session token is for another service (its aud); ask the token endpoint for this one', scheme);
    case 'insufficient_scope':
      return insufficientScope(environment, refused.rule.scopes, scheme);
    default:
      return assertNever(refused);
  }
}

/**
 * Admits a proxied call, or throws the answer: 404 (no service covers the path), 400 (an ambiguous path), 401/403
 * (RFC 6750), 429 (`callRefused`: the key's limits), 503 (the limiter's store is down and the key has limits).
 * The routing table is read once, so a reload during the call does not change it half-way.
 */
export async function admitProxyCall(c: Context, services: Services, environment: Environment, url: URL, method: string): Promise<AdmittedCall> {
  const routes = services.gateway.current[environment];
  const path = upstreamPath(url.pathname, environment);
  // Only an odd spelling of the prefix gets here (the router decodes, `url.pathname` does not).
  if (path === undefined) throw new ApiProblem(404, 'not_found', `no route for ${method} ${url.pathname}`);
  const routed = routeProxyCall(routes, path);
  if (!routed.ok) {
    switch (routed.reason) {
      case 'ambiguous_path':
        throw new ApiProblem(400, 'invalid_request', AMBIGUOUS_PATH_DETAIL);
      case 'no_service':
        throw new ApiProblem(
          404,
          'not_found',
          routes.matcher.services.length === 0
            ? `no upstream is configured for ${environment}`
            : `no service of ${environment} serves ${path}`,
        );
      default:
        return assertNever(routed.reason);
    }
  }
  const match = routed.value;

  const caller = await authenticateCaller(c, services, environment, url.pathname);
  const key: KeyRef | undefined = caller.metered && { environment, keyId: caller.metered.keyId };
  const settle = (status: number) => {
    if (key) services.usageCounts.count(key, statusCounter(status));
  };
  const refused = checkProxyAccess(routes, match, method, { audience: caller.audience, scopes: caller.scopes });
  if (refused) {
    const error = accessRefusal(refused, environment, caller.scheme);
    settle(error.status);
    throw error;
  }

  let decision: LimitDecision | undefined;
  const limits = caller.metered?.limits;
  // A key without limits never reaches the limiter, so it keeps being served while Redis is down.
  if (key && limits && hasCallLimits(limits)) {
    decision = await services.keyLimiter.admitCall(key, limits);
    if (!decision.allowed) {
      services.usageCounts.count(key, decision.reason);
      throw callRefused(decision);
    }
  }
  if (caller.keyId) services.usage.recordUse(caller.keyId, caller.keyPair);

  return {
    caller,
    service: match.service,
    target: `${match.service.upstream}${match.upstreamPath}${url.search}`,
    pathAndQuery: `${match.upstreamPath}${url.search}`,
    timeoutMs: match.service.timeoutMs,
    answerHeaders: {
      ...(decision && limitHeaders(decision)),
      ...(caller.dpopNonce !== undefined && { 'DPoP-Nonce': caller.dpopNonce }),
    },
    settle,
  };
}

/** What to throw for an admitted call whose upstream gave no answer: 504, 502, or the caller's own abort (499). */
export function upstreamFailure(
  services: Services,
  call: AdmittedCall,
  failure: { reason: ForwardFailure; detail?: string },
  context: Record<string, unknown>,
): Error {
  const where = { ...context, service: call.service.name };
  switch (failure.reason) {
    case 'timeout':
      services.logger.warn('upstream timed out', where);
      call.settle(504);
      return new ApiProblem(504, 'gateway_timeout', `the upstream made no progress within ${call.timeoutMs} ms`, {
        headers: call.answerHeaders,
      });
    case 'unreachable':
      services.logger.warn('upstream unreachable', { ...where, error: failure.detail });
      call.settle(502);
      return new ApiProblem(502, 'bad_gateway', 'the upstream could not be reached or closed the connection', {
        headers: call.answerHeaders,
      });
    case 'client_closed':
      // Nobody is left to read an answer: a client abort (499), not the upstream's fault, and no answer to count.
      return new ClientClosedRequest('the client closed the connection');
    default:
      return assertNever(failure.reason);
  }
}
