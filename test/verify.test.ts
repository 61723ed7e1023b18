// keymint/verify's sessionAuth in a separate Hono service on its own port, verifying tokens of a running keymint.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sessionAuth, type KeymintSession } from '../src/verify.js';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';

function listen(app: Hono<any>): Promise<{ url: string; server: ServerType }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, server }),
    );
  });
}

async function closedPortUrl(): Promise<string> {
  const { url, server } = await listen(new Hono());
  await new Promise((resolve) => server.close(resolve));
  return url;
}

describe('sessionAuth middleware', () => {
  let gateway: Gateway;
  let service: { url: string; server: ServerType };
  let sandboxKey: ApiKeyWithSecret;
  let productionKey: ApiKeyWithSecret;
  const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };

  beforeAll(async () => {
    gateway = await startGateway({ clock });
    const account = await gateway.createAccount();
    sandboxKey = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write'] });
    productionKey = await gateway.createKey(account.id, { environment: 'production', scopes: ['orders:read'] });

    const issuer = gateway.issuer('sandbox');
    const app = new Hono();
    app.get('/orders', sessionAuth({ issuer, requiredScopes: ['orders:read'] }), (c) => c.json(c.get('keymintSession')));
    app.post('/orders', sessionAuth({ issuer: `${issuer}/`, requiredScopes: ['orders:write'] }), (c) =>
      c.json({ by: c.get('keymintSession').client_id }, 201),
    );
    app.get('/other-audience', sessionAuth({ issuer, audience: 'https://elsewhere.example/api' }), (c) => c.text('no'));
    app.get('/issuer-down', sessionAuth({ issuer, jwksUrl: `${await closedPortUrl()}/jwks.json` }), (c) => c.text('no'));
    service = await listen(app);
  });
  afterAll(async () => {
    await new Promise((resolve) => service.server.close(resolve));
    await gateway.close();
  });

  const get = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${service.url}${path}`, { ...init, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  async function expectInvalidToken(response: Response) {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="sandbox", error="invalid_token"/);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  }

  it('lets a valid token through with its verified claims', async () => {
    const token = await gateway.mint('sandbox', sandboxKey);
    const response = await get('/orders', token);
    expect(response.status).toBe(200);
    const session = (await response.json()) as KeymintSession;
    expect(session).toMatchObject({
      iss: gateway.issuer('sandbox'),
      aud: `${gateway.issuer('sandbox')}/api`,
      sub: sandboxKey.applicationId,
      client_id: sandboxKey.applicationId,
      acct: sandboxKey.accountId,
      env: 'sandbox',
      scope: 'orders:read orders:write',
      scopes: ['orders:read', 'orders:write'],
    });
    const created = await get('/orders', token, { method: 'POST' });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ by: sandboxKey.applicationId });
  });

  it('answers 403 insufficient_scope when a required scope is missing', async () => {
    const token = await gateway.mint('sandbox', sandboxKey, 'orders:read');
    const response = await get('/orders', token, { method: 'POST' });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="sandbox", error="insufficient_scope", .*scope="orders:write"$/,
    );
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('answers 401 invalid_token for a missing, garbage, tampered or expired token', async () => {
    await expectInvalidToken(await get('/orders'));
    await expectInvalidToken(await get('/orders', 'garbage'));
    await expectInvalidToken(await get('/orders', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'));
    const token = await gateway.mint('sandbox', sandboxKey);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as object;
    const forged = Buffer.from(JSON.stringify({ ...claims, acct: 'acct_someone_else' })).toString('base64url');
    await expectInvalidToken(await get('/orders', `${header}.${forged}.${signature}`));

    // A fresh key, so the issuance cache has no live token to hand back.
    const fresh = await gateway.createKey(sandboxKey.accountId, { environment: 'sandbox', scopes: ['orders:read'] });
    clock.offsetMs = -2 * 3600 * 1000;
    let stale: string;
    try {
      stale = await gateway.mint('sandbox', fresh);
    } finally {
      clock.offsetMs = 0;
    }
    const expired = await get('/orders', stale);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error_description: string }).error_description).toMatch(/expired/);
  });

  it("answers 401 for the other environment's token and for another audience", async () => {
    await expectInvalidToken(await get('/orders', await gateway.mint('production', productionKey)));
    await expectInvalidToken(await get('/other-audience', await gateway.mint('sandbox', sandboxKey)));
  });

  it('keeps accepting tokens of a deleted key, without calling keymint per request', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
    const token = await gateway.mint('sandbox', key);
    expect((await gateway.admin('DELETE', `/accounts/${account.id}/keys/${key.id}`)).status).toBe(204);
    expect((await get('/orders', token)).status).toBe(200);
  });

  it('refuses a token it let through before, once the token has expired', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
    // Minted 59 minutes ago: it expires in a minute, well within the time the key set stays fresh.
    clock.offsetMs = -59 * 60 * 1000;
    let token: string;
    try {
      token = await gateway.mint('sandbox', key);
    } finally {
      clock.offsetMs = 0;
    }
    expect((await get('/orders', token)).status).toBe(200);
    expect((await get('/orders', token)).status).toBe(200);
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    vi.useFakeTimers({ toFake: ['Date'], now: exp * 1000 });
    try {
      const expired = await get('/orders', token);
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { error_description: string }).error_description).toMatch(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('checks the environment and the scopes on every call, not only the first', async () => {
    const production = await gateway.mint('production', productionKey);
    const account = await gateway.createAccount();
    const reader = await gateway.mint('sandbox', await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] }));
    for (let call = 0; call < 3; call++) {
      await expectInvalidToken(await get('/orders', production));
      expect((await get('/orders', reader, { method: 'POST' })).status).toBe(403);
      expect((await get('/orders', reader)).status).toBe(200);
    }
  });

  it('answers 503 when the key set cannot be fetched', async () => {
    const response = await get('/issuer-down', await gateway.mint('sandbox', sandboxKey));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('validates its options when it is created', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { issuer: 'not a url' },
      { issuer: 'ftp://keymint.example/sandbox' },
      { issuer: 'https://keymint.example' },
      { issuer: 'https://keymint.example/staging' },
      { issuer: 'https://keymint.example/sandbox', audience: '' },
      { issuer: 'https://keymint.example/sandbox', requiredScopes: 'orders:read' },
      { issuer: 'https://keymint.example/sandbox', requiredScopes: ['two words'] },
      { issuer: 'https://keymint.example/sandbox', jwksUrl: '/relative' },
    ];
    for (const options of bad) {
      expect(() => sessionAuth(options as Parameters<typeof sessionAuth>[0]), JSON.stringify(options)).toThrow(TypeError);
    }
    expect(sessionAuth({ issuer: 'https://keymint.example/production' }).name).toBe('sessionAuth');
  });
});
