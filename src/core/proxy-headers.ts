// The headers the reverse proxy sends upstream: hop-by-hop ones dropped, credentials swapped for identity.
import {
  canonicalName,
  connectionOptions,
  headerList,
  headerListValue,
  HTTP_TOKEN,
  isHopByHop,
  listedHeaders,
  type HeaderList,
} from '../ports/upstream-forwarder.js';
import type { Environment } from '../shared/domain.js';

/** Who the proxy vouches for; the upstream reads it from `X-Keymint-*` instead of a credential. */
export interface ProxyIdentity {
  clientId: string;
  accountId: string;
  scopes: readonly string[];
  environment: Environment;
}

export interface ForwardedFor {
  /** The caller's address, when the runtime knows it (behind trusted proxies, the one they vouch for). */
  clientIp: string | undefined;
  /** The Host the caller addressed, and its scheme (`http`/`https`). */
  host: string | undefined;
  proto: string;
  /**
   * KEYMINT_TRUSTED_PROXIES: how many reverse proxies in front of keymint may have set `Forwarded` and
   * `X-Real-IP` (0: none, so whatever the request carries of them is the caller's own claim).
   */
  trustedProxies: number;
}

// Request headers that never reach the upstream: the caller's credentials (a DPoP proof with them); the Host (fetch sets the
// upstream's) and `Expect`, which fetch refuses; `Accept-Encoding`, left to the runtime's fetch, which then
// decodes what it asked for; method overrides, which some frameworks obey, so that the upstream would run
// another method than the one the route rules checked; path overrides (`X-Original-URL`, `X-Rewrite-URL`: IIS,
// Symfony, Laminas route on them), which would send the upstream to another path than the one the route rules
// checked; and the X-Forwarded-* that keymint sets itself.
const NOT_FORWARDED = new Set([
  'authorization',
  'api-key',
  'dpop',
  'host',
  'expect',
  'accept-encoding',
  'x-http-method-override',
  'x-method-override',
  'x-http-method',
  'x-original-url',
  'x-rewrite-url',
  'x-forwarded-host',
  'x-forwarded-proto',
]);

// What a proxy in front says about the client (its address, the port, path prefix or scheme it was reached on),
// read by upstream frameworks for allow-lists, logs and links. From the caller itself each is a forgery: they
// pass only behind KEYMINT_TRUSTED_PROXIES, where the proxy in front is the one that may have set them.
const FROM_TRUSTED_PROXIES_ONLY = new Set([
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-originating-ip',
  'x-remote-ip',
  'x-remote-addr',
  'forwarded-for',
  'x-forwarded',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'x-forwarded-ssl',
]);

/** An RFC 7239 §4 value: a token as it is, anything else quoted; an IPv6 address bracketed (§6). */
function forwardedValue(value: string, isNode = false): string {
  if (isNode && value.includes(':')) return `"[${value}]"`;
  return HTTP_TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** keymint's own `Forwarded` element: the client as keymint determined it, the Host it asked for, its scheme. */
function forwardedElement(forwarded: ForwardedFor): string {
  const host = forwarded.host ? `host=${forwardedValue(forwarded.host)};` : '';
  const proto = `proto=${forwardedValue(forwarded.proto)}`;
  return forwarded.clientIp ? `for=${forwardedValue(forwarded.clientIp, true)};${host}${proto}` : `${host}${proto}`;
}

/** The last `count` elements of a `Forwarded` value (a comma inside a quoted string does not split). */
function lastForwardedElements(value: string, count: number): string {
  const elements: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      elements.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  elements.push(value.slice(start).trim());
  return elements.filter(Boolean).slice(-count).join(', ');
}

/**
 * The request header lines the upstream gets, in one pass over the caller's. Dropped: hop-by-hop headers, the
 * credentials, method overrides and `X-Keymint-*`, matched as upstreams read names (any case, and
 * `X_Keymint_Account` too). Set: the identity headers, `X-Forwarded-Host` and `-Proto`; `X-Forwarded-For`
 * gets the client appended. `Forwarded` and `X-Real-IP` are kept only behind trusted proxies — of
 * `Forwarded`, only the elements they can have added (the last `trustedProxies`; those further left are the
 * client's own claims, as in X-Forwarded-For) — and keymint appends its own `Forwarded` element (RFC 7239).
 * An underscore spelling of a header that keymint sets or vouches for (`X_Real_IP`, `X_Forwarded_For`)
 * never passes. The other client-address headers (`True-Client-IP`, `X-Forwarded-Port`, …) are kept only
 * behind trusted proxies too; path overrides (`X-Original-URL`, `X-Rewrite-URL`) are dropped. The Host is the
 * forwarder's to set (the upstream's own).
 */
export function upstreamRequestHeaderList(incoming: readonly string[], identity: ProxyIdentity, forwarded: ForwardedFor): HeaderList {
  const connectionNamed = connectionOptions(headerListValue(incoming, 'connection'));
  const headers: HeaderList = [];
  let forwardedFor: string | undefined;
  let forwardedChain: string | undefined;
  for (let i = 0; i < incoming.length; i += 2) {
    const raw = incoming[i]!;
    const lower = raw.toLowerCase();
    const name = canonicalName(lower);
    if (isHopByHop(name, connectionNamed) || NOT_FORWARDED.has(name) || name.startsWith('x-keymint-')) continue;
    const spelledRight = name === lower;
    const value = incoming[i + 1]!;
    if (name === 'x-forwarded-for') {
      // Several lines are one list, as Headers#get joins them.
      if (spelledRight) forwardedFor = forwardedFor === undefined ? value.trim() : `${forwardedFor}, ${value.trim()}`;
    } else if (name === 'forwarded') {
      if (spelledRight && forwarded.trustedProxies > 0) forwardedChain = forwardedChain === undefined ? value : `${forwardedChain}, ${value}`;
    } else if (FROM_TRUSTED_PROXIES_ONLY.has(name)) {
      if (spelledRight && forwarded.trustedProxies > 0) headers.push(raw, value);
    } else {
      headers.push(raw, value);
    }
  }
  const clientIp = forwarded.clientIp;
  headers.push(
    'X-Keymint-Client-Id',
    identity.clientId,
    'X-Keymint-Account',
    identity.accountId,
    'X-Keymint-Scope',
    identity.scopes.join(' '),
    'X-Keymint-Env',
    identity.environment,
  );
  if (clientIp) headers.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${clientIp}` : clientIp);
  else if (forwardedFor) headers.push('X-Forwarded-For', forwardedFor);
  if (forwarded.host) headers.push('X-Forwarded-Host', forwarded.host);
  headers.push('X-Forwarded-Proto', forwarded.proto);
  const element = forwardedElement(forwarded);
  const kept = forwardedChain === undefined ? '' : lastForwardedElements(forwardedChain, forwarded.trustedProxies);
  headers.push('Forwarded', kept ? `${kept}, ${element}` : element);
  return headers;
}

/** `upstreamRequestHeaderList` over web `Headers` (the hono path's, and the Worker's). */
export function upstreamRequestHeaders(incoming: Headers, identity: ProxyIdentity, forwarded: ForwardedFor): Headers {
  return listedHeaders(upstreamRequestHeaderList(headerList(incoming), identity, forwarded));
}
