// The proxy's upstream services (SPEC §7) and the matcher, built once, that picks a request's service by path prefix.
import type { RouteRule } from './proxy-routes.js';

export interface GatewayService {
  /** Unique in its environment; names the service in logs and errors. */
  name: string;
  /** A normalized path prefix: `/`, or `/a/b` without a trailing slash, matched whole segment by whole segment. */
  path: string;
  /** An http(s) URL without a trailing slash, query or fragment; the upstream path is appended to it. */
  upstream: string;
  /** The RFC 8707 resource this service answers to; undefined: default-audience tokens only. */
  audience: string | undefined;
  /** How long the proxy waits for the upstream to make progress. */
  timeoutMs: number;
  /** Route rules whose paths are relative to `path`. */
  rules: RouteRule[];
  /** Send the upstream the path less `path` (`/orders/1` → `/1` for the service at `/orders`). */
  stripPrefix: boolean;
}

export interface ServiceMatch {
  service: GatewayService;
  /** What the upstream is asked for (before the query): the request path, or with `stripPrefix` the rest after the prefix. */
  upstreamPath: string;
  /** The request path relative to the service, `/` at least: what the service's route rules are matched against. */
  servicePath: string;
}

export interface ServiceMatcher {
  readonly services: readonly GatewayService[];
  /**
   * The service with the longest prefix covering `path` (a normalized URL path as the proxy sees it, after
   * `/{env}/api`), or undefined when none does. Letter case is ignored, as route rules ignore it.
   */
  match(path: string): ServiceMatch | undefined;
}

// ASCII only, so indexes into the lowered path are indexes into the path: a URL path is ASCII (the URL parser
// percent-encodes the rest) and so are service prefixes (config refuses others).
function lowerAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

function segmentCount(prefix: string): number {
  return prefix === '/' ? 0 : prefix.split('/').length - 1;
}

/**
 * Precomputes the table: a map from lower-cased prefix to service, and the deepest prefix's segment count. A
 * request then costs one map look-up per leading segment, up to that depth, whatever the number of services.
 * Throws TypeError for two services on the same prefix (the config validation refuses them first).
 */
export function createServiceMatcher(services: readonly GatewayService[]): ServiceMatcher {
  let root: GatewayService | undefined;
  const byPrefix = new Map<string, GatewayService>();
  let depth = 0;
  for (const service of services) {
    const prefix = lowerAscii(service.path);
    if (prefix === '/') {
      if (root) throw new TypeError(`two services on the path "/": ${root.name} and ${service.name}`);
      root = service;
      continue;
    }
    const taken = byPrefix.get(prefix);
    if (taken) throw new TypeError(`two services on the path "${service.path}": ${taken.name} and ${service.name}`);
    byPrefix.set(prefix, service);
    depth = Math.max(depth, segmentCount(prefix));
  }

  function match(path: string): ServiceMatch | undefined {
    const lowered = byPrefix.size > 0 ? lowerAscii(path) : '';
    let found = root;
    let end = 0;
    // Walk the leading segments from the shortest; the last prefix found is the longest.
    for (let level = 0, slash = 0; level < depth && slash !== -1; level++) {
      const next = lowered.indexOf('/', slash + 1);
      const stop = next === -1 ? lowered.length : next;
      const service = byPrefix.get(lowered.slice(0, stop));
      if (service) {
        found = service;
        end = stop;
      }
      slash = next;
    }
    if (!found) return undefined;
    const servicePath = path.slice(end) || '/';
    return { service: found, servicePath, upstreamPath: found.stripPrefix ? servicePath : path || '/' };
  }

  return { services, match };
}
