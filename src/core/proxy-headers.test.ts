import { describe, expect, it } from 'vitest';
import { upstreamRequestHeaders, type ForwardedFor } from './proxy-headers.js';

const identity = { clientId: 'app_sbx_1', accountId: 'acct_1', scopes: ['a', 'b'], environment: 'sandbox' } as const;
const at = (forwarded: Partial<ForwardedFor>): ForwardedFor => ({
  clientIp: '192.0.2.1',
  host: 'gw.example',
  proto: 'https',
  trustedProxies: 0,
  ...forwarded,
});

describe('upstreamRequestHeaders', () => {
  it('writes its Forwarded element by RFC 7239: IPv6 bracketed and quoted, a host with a port quoted', () => {
    const headers = upstreamRequestHeaders(new Headers(), identity, at({ clientIp: '2001:db8::1', host: 'gw.example:8443' }));
    expect(headers.get('forwarded')).toBe('for="[2001:db8::1]";host="gw.example:8443";proto=https');
    expect(upstreamRequestHeaders(new Headers(), identity, at({ clientIp: undefined })).get('forwarded')).toBe(
      'host=gw.example;proto=https',
    );
  });

  it("keeps only the trusted proxies' own Forwarded elements, a quoted comma not splitting one", () => {
    const incoming = new Headers({ forwarded: 'for=198.51.100.9, for="[2001:db8::2]:80";host="a,b", for=203.0.113.7' });
    expect(upstreamRequestHeaders(incoming, identity, at({ trustedProxies: 2 })).get('forwarded')).toBe(
      'for="[2001:db8::2]:80";host="a,b", for=203.0.113.7, for=192.0.2.1;host=gw.example;proto=https',
    );
    expect(upstreamRequestHeaders(incoming, identity, at({})).get('forwarded')).toBe('for=192.0.2.1;host=gw.example;proto=https');
  });

  it('drops a header the Connection header names, in either spelling', () => {
    const incoming = new Headers({ connection: 'close, X_Hop', 'x-hop': '1', x_hop: '2', 'x-end': '3' });
    const headers = upstreamRequestHeaders(incoming, identity, at({}));
    expect(headers.has('x-hop')).toBe(false);
    expect(headers.has('x_hop')).toBe(false);
    expect(headers.get('x-end')).toBe('3');
  });
});
