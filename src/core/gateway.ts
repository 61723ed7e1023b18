// The proxy's routing state (SPEC §7) — each environment's service matcher and audience table, built once from the
// service tables and swapped whole on reload — and the two checks every proxied call goes through with it.
import { ENVIRONMENTS, type Environment } from '../shared/domain.js';
import { fail, ok, type Result } from '../shared/result.js';
import { acceptsAudience, createAudienceTable, defaultAudience, type AudienceTable } from './audiences.js';
import { createServiceMatcher, type GatewayService, type ServiceMatch, type ServiceMatcher } from './gateway-services.js';
import { findRouteRule, isAmbiguousPath, missingScopes, type RouteRule } from './proxy-routes.js';

export interface EnvironmentRoutes {
  readonly matcher: ServiceMatcher;
  readonly audiences: AudienceTable;
}

export type GatewayRoutes = Readonly<Record<Environment, EnvironmentRoutes>>;

/** Precomputes every environment's matcher and audience table (at start-up and on reload; nothing is parsed per request). */
export function createGatewayRoutes(tables: Record<Environment, readonly GatewayService[]>, publicUrl: string): GatewayRoutes {
  const routes = {} as Record<Environment, EnvironmentRoutes>;
  for (const environment of ENVIRONMENTS) {
    const services = tables[environment];
    routes[environment] = {
      matcher: createServiceMatcher(services),
      audiences: createAudienceTable(defaultAudience(publicUrl, environment), services),
    };
  }
  return routes;
}

/**
 * The routes in force. `replace` swaps the one reference; a request reads `current` once when it starts and keeps
 * that snapshot, so calls in flight finish on the table they began with.
 */
export interface GatewayRouting {
  readonly current: GatewayRoutes;
  replace(next: GatewayRoutes): void;
}

export function createGatewayRouting(initial: GatewayRoutes): GatewayRouting {
  let current = initial;
  return {
    get current() {
      return current;
    },
    replace(next) {
      current = next;
    },
  };
}

export type ProxyRouteRefusal = 'ambiguous_path' | 'no_service';

/**
 * The service for a proxied path (normalized, after `/{env}/api`): refused when upstreams could read the path in
 * ways a prefix match cannot follow (see isAmbiguousPath), or when no service's prefix covers it.
 */
export function routeProxyCall(routes: EnvironmentRoutes, path: string): Result<ServiceMatch, ProxyRouteRefusal> {
  if (isAmbiguousPath(path)) return fail('ambiguous_path');
  const match = routes.matcher.match(path);
  return match ? ok(match) : fail('no_service');
}

export type ProxyAccessRefusal =
  /** A token for a named audience, used on another service. */
  | { reason: 'other_audience'; service: GatewayService }
  /** The service's route rule for the call asks for scopes the caller lacks. */
  | { reason: 'insufficient_scope'; rule: RouteRule };

/** Who calls, as far as the service checks go. `Api-Key` callers carry no audience: they may call every service. */
export interface ProxyCallerGrant {
  audience: string | readonly string[] | undefined;
  scopes: readonly string[];
}

/** Whether the caller may make this call on the matched service: its audience first, then the service's route rules. */
export function checkProxyAccess(
  routes: EnvironmentRoutes,
  match: ServiceMatch,
  method: string,
  caller: ProxyCallerGrant,
): ProxyAccessRefusal | undefined {
  if (caller.audience !== undefined && !acceptsAudience(routes.audiences, caller.audience, match.service)) {
    return { reason: 'other_audience', service: match.service };
  }
  const rule = findRouteRule(match.service.rules, method, match.servicePath);
  if (rule && missingScopes(rule, caller.scopes).length > 0) return { reason: 'insufficient_scope', rule };
  return undefined;
}
