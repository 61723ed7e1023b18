// The headers the reverse proxy sends upstream: hop-by-hop ones dropped, credentials swapped for identity.
import type { Environment } from '../shared/domain.js';
import { dropHopByHop } from '../ports/upstream-forwarder.js';

/** Who the proxy vouches for; the upstream reads it from `X-Keymint-*` instead of a credential. */
export interface ProxyIdentity {
  clientId: string;
  accountId: string;
  scopes: readonly string[];
  environment: Environment;
}

export interface ForwardedFor {
  /** The caller's address, when the runtime knows it. */
  clientIp: string | undefined;
  /** The Host the caller addressed, and its scheme (`http`/`https`). */
  host: string | undefined;
  proto: string;
}

// Request headers that never reach the upstream: the caller's credentials, our own namespace (so a caller
// cannot speak for keymint), the Host (fetch sets the upstream's) and `Expect`, which fetch refuses.
// `Accept-Encoding` is left to the runtime's fetch, which then decodes what it asked for.
const NOT_FORWARDED = new Set(['authorization', 'api-key', 'host', 'expect', 'accept-encoding']);
const KEYMINT_PREFIX = 'x-keymint-';

export function upstreamRequestHeaders(incoming: Headers, identity: ProxyIdentity, forwarded: ForwardedFor): Headers {
  const headers = new Headers(incoming);
  dropHopByHop(headers);
  for (const name of [...headers.keys()]) {
    if (NOT_FORWARDED.has(name) || name.startsWith(KEYMINT_PREFIX)) headers.delete(name);
  }
  headers.set('X-Keymint-Client-Id', identity.clientId);
  headers.set('X-Keymint-Account', identity.accountId);
  headers.set('X-Keymint-Scope', identity.scopes.join(' '));
  headers.set('X-Keymint-Env', identity.environment);
  if (forwarded.clientIp) {
    const earlier = headers.get('x-forwarded-for');
    headers.set('X-Forwarded-For', earlier ? `${earlier}, ${forwarded.clientIp}` : forwarded.clientIp);
  }
  if (forwarded.host) headers.set('X-Forwarded-Host', forwarded.host);
  headers.set('X-Forwarded-Proto', forwarded.proto);
  return headers;
}
