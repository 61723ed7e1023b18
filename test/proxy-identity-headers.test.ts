// Headers an upstream may read as the caller's identity, address or method cannot be forged through the proxy.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';
import { rawRequest, startUpstream, type Echo, type Upstream } from './support/upstream.js';

// WSGI and CGI servers turn `X_Keymint_Account` into the same HTTP_X_KEYMINT_ACCOUNT as `X-Keymint-Account`.
const FORGED_IDENTITY = {
  X_Keymint_Account: 'acct_forged',
  x_keymint_client_id: 'app_sbx_forged',
  'X-Keymint_Scope': 'admin',
  X_KEYMINT_ENV: 'production',
  'X_Keymint-Anything': 'forged',
};
// Each would make some upstream framework run another method than the one the route rules checked.
const METHOD_OVERRIDES = {
  'X-HTTP-Method-Override': 'DELETE',
  'X-Method-Override': 'DELETE',
  'X-HTTP-Method': 'DELETE',
  X_HTTP_Method_Override: 'DELETE',
};

describe('identity, address and method headers on the proxy', () => {
  let upstream: Upstream;
  let direct: Gateway;
  let behindProxy: Gateway;
  let directToken: string;
  let behindToken: string;
  let accountId: string;
  let applicationId: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    direct = await startGateway({ env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url } });
    behindProxy = await startGateway({ env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url, KEYMINT_TRUSTED_PROXIES: '1' } });
    const account = await direct.createAccount();
    const key = await direct.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
    ({ accountId, applicationId } = key);
    directToken = await direct.mint('sandbox', key);
    const behindAccount = await behindProxy.createAccount();
    behindToken = await behindProxy.mint('sandbox', await behindProxy.createKey(behindAccount.id, { environment: 'sandbox' }));
  });
  afterAll(async () => {
    await direct.close();
    await behindProxy.close();
    await upstream.close();
  });

  async function echoOf(gateway: Gateway, token: string, headers: Record<string, string>): Promise<Echo> {
    const response = await rawRequest(`${gateway.url}/sandbox/api/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', ...headers },
      body: 'x',
    });
    expect(response.status).toBe(200);
    return JSON.parse(response.body) as Echo;
  }

  it('drops X-Keymint-* in any spelling, underscores included, and sends only its own', async () => {
    const echo = await echoOf(direct, directToken, { ...FORGED_IDENTITY, 'X-Kept': 'yes', X_Custom_Header: 'kept' });
    for (const name of Object.keys(FORGED_IDENTITY)) expect(echo.headers[name.toLowerCase()], name).toBeUndefined();
    expect(echo.headerNames.filter((name) => /^x[-_]keymint[-_]/.test(name)).sort()).toEqual([
      'x-keymint-account',
      'x-keymint-client-id',
      'x-keymint-env',
      'x-keymint-scope',
    ]);
    expect(echo.headers).toMatchObject({
      'x-keymint-account': accountId,
      'x-keymint-client-id': applicationId,
      'x-keymint-scope': 'orders:read',
      'x-keymint-env': 'sandbox',
      // Headers keymint has no business with pass, underscores or not.
      'x-kept': 'yes',
      x_custom_header: 'kept',
    });
  });

  it('drops method-override headers: the upstream runs the method the route rules checked', async () => {
    const echo = await echoOf(direct, directToken, METHOD_OVERRIDES);
    expect(echo.method).toBe('POST');
    for (const name of Object.keys(METHOD_OVERRIDES)) expect(echo.headers[name.toLowerCase()], name).toBeUndefined();
  });

  // Hostile review, round 2: each of these reached the upstream as the caller sent it.
  const PATH_OVERRIDES = { 'X-Original-URL': '/admin', 'X-Rewrite-URL': '/admin', X_Original_URL: '/admin' };
  const ADDRESS_CLAIMS = {
    'True-Client-IP': '198.51.100.66',
    'X-Client-IP': '198.51.100.66',
    'Client-IP': '198.51.100.66',
    'X-Cluster-Client-IP': '198.51.100.66',
    'CF-Connecting-IP': '198.51.100.66',
    'Fastly-Client-IP': '198.51.100.66',
    'X-Originating-IP': '198.51.100.66',
    'X-Remote-IP': '198.51.100.66',
    'X-Remote-Addr': '198.51.100.66',
    'Forwarded-For': '198.51.100.66',
    'X-Forwarded': 'for=198.51.100.66',
    'X-Forwarded-Port': '8443',
    'X-Forwarded-Prefix': '/admin',
    'X-Forwarded-Server': 'evil.example',
    'X-Forwarded-Scheme': 'https',
    'X-Forwarded-Ssl': 'on',
  };

  it('drops path-override headers: the upstream serves the path the route rules checked', async () => {
    const echo = await echoOf(direct, directToken, PATH_OVERRIDES);
    expect(echo.url).toBe('/echo');
    for (const name of Object.keys(PATH_OVERRIDES)) expect(echo.headers[name.toLowerCase()], name).toBeUndefined();
  });

  it('drops every other client-address header when no proxy is trusted, and keeps them behind one', async () => {
    const alone = await echoOf(direct, directToken, ADDRESS_CLAIMS);
    for (const name of Object.keys(ADDRESS_CLAIMS)) expect(alone.headers[name.toLowerCase()], name).toBeUndefined();
    const behind = await echoOf(behindProxy, behindToken, ADDRESS_CLAIMS);
    for (const [name, value] of Object.entries(ADDRESS_CLAIMS)) expect(behind.headers[name.toLowerCase()], name).toBe(value);
  });

  // Hostile review, round 2: Node joined two Host headers into "a, b", which went upstream as X-Forwarded-Host.
  it('refuses a request with two Host headers with 400 problem JSON, before the upstream sees it', async () => {
    const before = upstream.seen.length;
    const { port } = new URL(direct.url);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `GET /sandbox/api/echo HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nAuthorization: Bearer ${directToken}\r\nConnection: close\r\n\r\n`,
        );
      });
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(upstream.seen.length).toBe(before);
  });

  it('replaces a forged Forwarded with its own element and drops X-Real-IP when no proxy is trusted', async () => {
    const echo = await echoOf(direct, directToken, {
      Forwarded: 'for=198.51.100.66;host=evil.example;proto=https, for=198.51.100.67',
      'X-Real-IP': '198.51.100.66',
      X_Real_IP: '198.51.100.66',
      X_Forwarded_For: '198.51.100.66',
      X_Forwarded_Host: 'evil.example',
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'https',
    });
    const host = new URL(direct.url).host;
    expect(echo.headers.forwarded).toBe(`for=127.0.0.1;host="${host}";proto=http`);
    expect(echo.headerNames.filter((name) => name === 'forwarded')).toHaveLength(1);
    for (const name of ['x-real-ip', 'x_real_ip', 'x_forwarded_for', 'x_forwarded_host']) {
      expect(echo.headers[name], name).toBeUndefined();
    }
    expect(echo.headers['x-forwarded-host']).toBe(host);
    expect(echo.headers['x-forwarded-proto']).toBe('http');
  });

  it("behind a trusted proxy keeps that proxy's Forwarded element and X-Real-IP, and drops what the client prepended", async () => {
    const echo = await echoOf(behindProxy, behindToken, {
      // The client claimed 198.51.100.66; the trusted proxy in front added the address it saw.
      'X-Forwarded-For': '198.51.100.66, 203.0.113.7',
      Forwarded: 'for=198.51.100.66;host=evil.example, for=203.0.113.7;proto=https',
      'X-Real-IP': '203.0.113.7',
      X_Real_IP: '198.51.100.66',
    });
    const host = new URL(behindProxy.url).host;
    expect(echo.headers.forwarded).toBe(`for=203.0.113.7;proto=https, for=203.0.113.7;host="${host}";proto=http`);
    expect(echo.headers['x-real-ip']).toBe('203.0.113.7');
    expect(echo.headers.x_real_ip).toBeUndefined();
  });
});
