// Tokens signed with the environment's real signing key but with claims keymint never writes: every verifier
// (the proxy, tokeninfo, introspection, sessionAuth) refuses them alike, and none answers 500.
import { serve, type ServerType } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionAuth } from '../src/verify.js';
import { basic, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/** Signs `claims` as keymint would: the environment's active private key, read from its SQLite file. */
async function signWithGatewayKey(gateway: Gateway, like: string, claims: Record<string, unknown>): Promise<string> {
  const { kid } = decodeProtectedHeader(like);
  const database = new Database(gateway.config.database, { readonly: true });
  const row = database.prepare('select alg, private_key from signing_keys where kid = ?').get(kid) as { alg: string; private_key: string };
  database.close();
  // Without KEYMINT_KEK the private JWK is stored as it is (README: set the KEK in production).
  const key = await importJWK(JSON.parse(row.private_key) as JWK, row.alg);
  return new SignJWT(claims).setProtectedHeader({ alg: row.alg, typ: 'at+jwt', kid }).sign(key);
}

describe('validly signed tokens with claims of the wrong kind', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let service: ServerType;
  let serviceUrl: string;
  let key: ApiKeyWithSecret;
  let token: string;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({ env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url } });
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
    token = await gateway.mint('sandbox', key);
    claims = decodeJwt(token);
    // A downstream service verifying with keymint/verify.
    const app = new Hono();
    app.get('/orders', sessionAuth({ issuer: gateway.issuer('sandbox') }), (c) => c.json(c.get('keymintSession')));
    ({ service, serviceUrl } = await new Promise<{ service: ServerType; serviceUrl: string }>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve({ service: server, serviceUrl: `http://127.0.0.1:${info.port}` }),
      );
    }));
  });
  afterAll(async () => {
    await new Promise((resolve) => service.close(resolve));
    await gateway.close();
    await upstream.close();
  });

  /** What each verifier makes of `bearer`. The session record of the original `jti` exists in each case. */
  async function verdicts(bearer: string) {
    const authorization = `Bearer ${bearer}`;
    const proxied = await gateway.fetch('/sandbox/api/orders', { headers: { authorization } });
    const tokeninfo = await gateway.fetch('/sandbox/oauth/tokeninfo', { headers: { authorization } });
    const introspected = await gateway.fetch('/sandbox/oauth/introspect', {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: bearer }),
    });
    const downstream = await fetch(`${serviceUrl}/orders`, { headers: { authorization } });
    return {
      proxy: { status: proxied.status, body: (await proxied.json()) as Record<string, unknown>, challenge: proxied.headers.get('www-authenticate') },
      tokeninfo: { status: tokeninfo.status, body: (await tokeninfo.json()) as Record<string, unknown> },
      introspection: { status: introspected.status, body: (await introspected.json()) as Record<string, unknown> },
      sessionAuth: { status: downstream.status, body: (await downstream.json()) as Record<string, unknown> },
    };
  }

  it('accepts the token keymint minted everywhere (the forgeries below differ from it in one claim)', async () => {
    const seen = await verdicts(await signWithGatewayKey(gateway, token, claims));
    expect(seen.proxy.status).toBe(200);
    expect(seen.tokeninfo).toMatchObject({ status: 200, body: { active: true, acct: key.accountId } });
    expect(seen.introspection).toMatchObject({ status: 200, body: { active: true, client_id: key.applicationId } });
    expect(seen.sessionAuth).toMatchObject({ status: 200, body: { acct: key.accountId, scopes: ['orders:read'] } });
  });

  const odd: [string, (claims: Record<string, unknown>) => Record<string, unknown>][] = [
    ['scope as an array', (c) => ({ ...c, scope: ['orders:read'] })],
    ['scope with a line break', (c) => ({ ...c, scope: 'orders:read\r\nadmin' })],
    ['CR/LF in client_id', (c) => ({ ...c, client_id: `${key.applicationId}\r\nX-Keymint-Account: acct_victim` })],
    ['a non-Latin-1 client_id', (c) => ({ ...c, client_id: `${key.applicationId}ключ` })],
    ['CR/LF in acct', (c) => ({ ...c, acct: `${key.accountId}\r\nX-Evil: 1` })],
    ['a non-Latin-1 acct', (c) => ({ ...c, acct: `${key.accountId}\u{1F600}` })],
    ['no acct', (c) => Object.fromEntries(Object.entries(c).filter(([name]) => name !== 'acct'))],
    ['acct as a number', (c) => ({ ...c, acct: 42 })],
    ['exp as a fraction', (c) => ({ ...c, exp: (c.exp as number) + 0.5 })],
  ];

  it.each(odd)('refuses a token with %s: 401 invalid_token on the proxy, tokeninfo and sessionAuth, inactive to introspection', async (_name, change) => {
    const upstreamCalls = upstream.seen.length;
    const seen = await verdicts(await signWithGatewayKey(gateway, token, change(claims)));
    expect(seen.proxy.status).toBe(401);
    expect(seen.proxy.body).toMatchObject({ error: 'invalid_token' });
    expect(seen.proxy.challenge).toMatch(/^Bearer realm="sandbox", error="invalid_token"/);
    expect(seen.tokeninfo).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(seen.introspection).toEqual({ status: 200, body: { active: false } });
    expect(seen.sessionAuth).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(upstream.seen.length).toBe(upstreamCalls);
  });
});
