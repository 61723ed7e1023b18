// Who may call the reverse proxy (SPEC §3): session tokens (stateless or strict), Api-Key, and route rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_PATHS, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { startUpstream, type Echo, type Upstream } from './support/upstream.js';

const ROUTES = [
  { method: '*', path: '/orders', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { path: '/orders/public/', scopes: [] },
  { method: 'GET', path: '/reports', scopes: ['reports'] },
];

function challenge(response: Response): string {
  return response.headers.get('www-authenticate') ?? '';
}

async function expectInvalidToken(response: Response, description?: RegExp) {
  expect(response.status).toBe(401);
  expect(challenge(response)).toMatch(/^Bearer realm="(sandbox|production)", error="invalid_token"/);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe('invalid_token');
  if (description) expect(body.error_description).toMatch(description);
}

/**
 * Polls until `probe` answers `status`. Returns how long after the start the last probe that still answered
 * otherwise was sent (0 when the first answered `status`): how stale an answer the caller was given, whatever
 * time the answers themselves took on a loaded machine.
 */
async function untilStatus(probe: () => Promise<Response>, status: number, limitMs = 2000): Promise<number> {
  const started = Date.now();
  let lastStale = started;
  for (;;) {
    const sentAt = Date.now();
    const response = await probe();
    await response.body?.cancel();
    if (response.status === status) return lastStale - started;
    lastStale = sentAt;
    if (Date.now() - started > limitMs) throw new Error(`still ${response.status} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(SERVER_PATHS)('proxy authentication, %s', (_path, server) => {
  let upstream: Upstream;
  let gateway: Gateway;
  let accountId: string;
  const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      server,
      clock,
      env: {
        KEYMINT_UPSTREAM_SANDBOX: upstream.url,
        KEYMINT_UPSTREAM_PRODUCTION: upstream.url,
        KEYMINT_ROUTES_SANDBOX: JSON.stringify(ROUTES),
        KEYMINT_KEYS_PER_ENVIRONMENT: '100',
      },
    });
    accountId = (await gateway.createAccount()).id;
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const newKey = (environment: 'sandbox' | 'production' = 'sandbox', scopes = ['orders:read', 'orders:write', 'reports']) =>
    gateway.createKey(accountId, { environment, scopes });
  const call = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
    gateway.fetch(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe('session tokens', () => {
    it('refuse a missing, malformed or non-Bearer credential with 401 invalid_token', async () => {
      await expectInvalidToken(await call('/sandbox/api/x', {}), /required/);
      await expectInvalidToken(await call('/sandbox/api/x', bearer('not-a-jwt')), /malformed/);
      await expectInvalidToken(await call('/sandbox/api/x', bearer('a.b.c')), /malformed/);
      await expectInvalidToken(await call('/sandbox/api/x', { authorization: 'Basic Zm9vOmJhcg==' }), /Bearer/);
      await expectInvalidToken(await call('/sandbox/api/x', { authorization: 'Bearer' }), /Bearer/);
      expect(upstream.seen).toHaveLength(0);
    });

    it('refuse a tampered token', async () => {
      const token = await gateway.mint('sandbox', await newKey(), 'orders:read');
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const widened = Buffer.from(JSON.stringify({ ...claims, scope: 'orders:read orders:write admin' })).toString('base64url');
      await expectInvalidToken(await call('/sandbox/api/x', bearer(`${header}.${widened}.${signature}`)), /signed/);
      const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
      await expectInvalidToken(await call('/sandbox/api/x', bearer(`${header}.${payload}.${flipped}`)));
      expect((await call('/sandbox/api/x', bearer(token))).status).toBe(200);
    });

    it("refuse the other environment's token, both ways", async () => {
      const sandboxToken = await gateway.mint('sandbox', await newKey('sandbox'));
      const productionToken = await gateway.mint('production', await newKey('production'));
      await expectInvalidToken(await call('/production/api/x', bearer(sandboxToken)));
      await expectInvalidToken(await call('/sandbox/api/x', bearer(productionToken)));
      expect((await call('/production/api/x', bearer(productionToken))).status).toBe(200);
    });

    it('refuse an expired token', async () => {
      const token = await gateway.mint('sandbox', await newKey());
      expect((await call('/sandbox/api/x', bearer(token))).status).toBe(200);
      clock.offsetMs = 3601 * 1000;
      try {
        await expectInvalidToken(await call('/sandbox/api/x', bearer(token)), /expired/);
      } finally {
        clock.offsetMs = 0;
      }
    });

    it('keep passing after their key is regenerated, disabled or deleted (stateless verification)', async () => {
      const keys = await Promise.all([newKey(), newKey(), newKey()]);
      const tokens = await Promise.all(keys.map((key) => gateway.mint('sandbox', key)));
      const [regenerated, disabled, deleted] = keys as [ApiKeyWithSecret, ApiKeyWithSecret, ApiKeyWithSecret];
      expect((await gateway.admin('POST', `/accounts/${accountId}/keys/${regenerated.id}/regenerate`)).status).toBe(200);
      expect((await gateway.admin('POST', `/accounts/${accountId}/keys/${disabled.id}/disable`)).status).toBe(200);
      expect((await gateway.admin('DELETE', `/accounts/${accountId}/keys/${deleted.id}`)).status).toBe(204);
      for (const [index, token] of tokens.entries()) {
        const response = await call('/sandbox/api/x', bearer(token));
        expect(response.status).toBe(200);
        expect(((await response.json()) as Echo).headers['x-keymint-client-id']).toBe(keys[index]!.applicationId);
      }
    });

    it('keep passing after revocation unless strict mode is on', async () => {
      const key = await newKey();
      const token = await gateway.mint('sandbox', key);
      const revoked = await gateway.fetch('/sandbox/oauth/revoke', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: key.applicationId, client_secret: key.applicationSecret, token }),
      });
      expect(revoked.status).toBe(200);
      expect((await call('/sandbox/api/x', bearer(token))).status).toBe(200);
    });
  });

  describe('Api-Key', () => {
    it('is accepted in both header forms, as the key, and updates lastUsedAt', async () => {
      const key = await newKey('sandbox', ['orders:read', 'reports']);
      const forms: Record<string, string>[] = [
        { authorization: `Api-Key ${key.applicationSecret}` },
        { 'api-key': key.applicationSecret },
      ];
      for (const headers of forms) {
        const response = await call('/sandbox/api/orders/1', headers);
        expect(response.status).toBe(200);
        const echo = (await response.json()) as Echo;
        expect(echo.headers).toMatchObject({
          'x-keymint-client-id': key.applicationId,
          'x-keymint-account': accountId,
          'x-keymint-scope': 'orders:read reports',
          'x-keymint-env': 'sandbox',
        });
        expect(echo.headers.authorization).toBeUndefined();
        expect(echo.headers['api-key']).toBeUndefined();
      }
      await untilLastUsed(key);
    });

    async function untilLastUsed(key: ApiKeyWithSecret) {
      const started = Date.now();
      for (;;) {
        const body = (await (await gateway.admin('GET', `/accounts/${accountId}/keys/${key.id}`)).json()) as ApiKeyWithSecret;
        if (body.lastUsedAt !== null) return;
        if (Date.now() - started > 2000) throw new Error('lastUsedAt was not recorded');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }

    it('refuses a mistyped, unknown or other-environment secret', async () => {
      const key = await newKey();
      const mistyped = key.applicationSecret.slice(0, 20) + (key.applicationSecret[20] === 'a' ? 'b' : 'a') + key.applicationSecret.slice(21);
      await expectInvalidToken(await call('/sandbox/api/x', { 'api-key': mistyped }), /checksum/);
      await expectInvalidToken(await call('/sandbox/api/x', { 'api-key': 'sk_sbx_short' }), /checksum/);
      await expectInvalidToken(await call('/production/api/x', { 'api-key': key.applicationSecret }), /sandbox API key/);
      const other = await newKey();
      expect((await gateway.admin('DELETE', `/accounts/${accountId}/keys/${other.id}`)).status).toBe(204);
      await expectInvalidToken(await call('/sandbox/api/x', { 'api-key': other.applicationSecret }), /not valid/);
    });

    it('refuses both Authorization and Api-Key at once with 400', async () => {
      const key = await newKey();
      const response = await call('/sandbox/api/x', {
        authorization: `Api-Key ${key.applicationSecret}`,
        'api-key': key.applicationSecret,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('stops working within 1 s of a disable, regenerate or delete', async () => {
      const keys = await Promise.all([newKey(), newKey(), newKey()]);
      const [disabled, regenerated, deleted] = keys as [ApiKeyWithSecret, ApiKeyWithSecret, ApiKeyWithSecret];
      const probe = (key: ApiKeyWithSecret) => () => call('/sandbox/api/x', { 'api-key': key.applicationSecret });
      for (const key of keys) expect((await probe(key)()).status).toBe(200);

      await gateway.admin('POST', `/accounts/${accountId}/keys/${disabled.id}/disable`);
      expect(await untilStatus(probe(disabled), 401)).toBeLessThanOrEqual(1000);
      await expectInvalidToken(await probe(disabled)(), /disabled/);
      await gateway.admin('POST', `/accounts/${accountId}/keys/${disabled.id}/enable`);
      expect(await untilStatus(probe(disabled), 200)).toBeLessThanOrEqual(1000);

      const renewed = (await (await gateway.admin('POST', `/accounts/${accountId}/keys/${regenerated.id}/regenerate`)).json()) as ApiKeyWithSecret;
      expect(await untilStatus(probe(regenerated), 401)).toBeLessThanOrEqual(1000);
      expect((await probe(renewed)()).status).toBe(200);

      await gateway.admin('DELETE', `/accounts/${accountId}/keys/${deleted.id}`);
      expect(await untilStatus(probe(deleted), 401)).toBeLessThanOrEqual(1000);
    });

    it('refuses an expired key', async () => {
      const key = await gateway.createKey(accountId, {
        environment: 'sandbox',
        scopes: ['a'],
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      });
      expect((await call('/sandbox/api/x', { 'api-key': key.applicationSecret })).status).toBe(200);
      clock.offsetMs = 7200 * 1000;
      try {
        await expectInvalidToken(await call('/sandbox/api/x', { 'api-key': key.applicationSecret }), /expired/);
      } finally {
        clock.offsetMs = 0;
      }
    });
  });

  describe('route rules', () => {
    async function expectInsufficientScope(response: Response, scope: string) {
      expect(response.status).toBe(403);
      expect(challenge(response)).toMatch(/^Bearer realm="sandbox", error="insufficient_scope"/);
      expect(challenge(response)).toContain(`scope="${scope}"`);
      // A HEAD answer has no body to check.
      const text = await response.text();
      if (text) expect(JSON.parse(text)).toMatchObject({ error: 'insufficient_scope' });
    }

    it('require the scopes of the longest matching prefix, for the method', async () => {
      const key = await newKey();
      const reader = bearer(await gateway.mint('sandbox', key, 'orders:read'));
      const writer = bearer(await gateway.mint('sandbox', key, 'orders:write'));
      const before = upstream.seen.length;

      expect((await call('/sandbox/api/orders/7', reader)).status).toBe(200);
      await expectInsufficientScope(await call('/sandbox/api/orders', reader, { method: 'POST', body: '{}' }), 'orders:write');
      expect((await call('/sandbox/api/orders/7', writer, { method: 'POST', body: '{}' })).status).toBe(200);
      await expectInsufficientScope(await call('/sandbox/api/orders/7', writer), 'orders:read');
      await expectInsufficientScope(await call('/sandbox/api/orders/7', writer, { method: 'DELETE' }), 'orders:read');
      // A longer prefix without scopes opens a sub-tree; prefixes match whole segments only.
      expect((await call('/sandbox/api/orders/public/menu', writer)).status).toBe(200);
      expect((await call('/sandbox/api/ordersheet', writer)).status).toBe(200);
      // Escaped spellings of a protected path meet the same rule.
      await expectInsufficientScope(await call('/sandbox/api/%6Frders/7', writer), 'orders:read');
      // A GET rule also covers HEAD.
      await expectInsufficientScope(await call('/sandbox/api/reports', reader, { method: 'HEAD' }), 'reports');
      expect((await call('/sandbox/api/reports', reader, { method: 'POST' })).status).toBe(200);
      // Refused calls never reach the upstream.
      expect(upstream.seen.length - before).toBe(5);
    });

    it('apply to Api-Key calls with the key scopes, and only in their environment', async () => {
      const sandbox = await newKey('sandbox', ['orders:read']);
      await expectInsufficientScope(
        await call('/sandbox/api/orders', { 'api-key': sandbox.applicationSecret }, { method: 'POST' }),
        'orders:write',
      );
      const production = await newKey('production', ['p']);
      expect((await call('/production/api/orders', { 'api-key': production.applicationSecret }, { method: 'POST' })).status).toBe(200);
    });
  });
});

describe.each(SERVER_PATHS)('proxy authentication, strict mode and without direct key auth, %s', (_path, server) => {
  let upstream: Upstream;
  let gateway: Gateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      server,
      env: {
        KEYMINT_UPSTREAM_SANDBOX: upstream.url,
        KEYMINT_STRICT_SESSIONS: 'true',
        KEYMINT_DIRECT_KEY_AUTH: 'false',
      },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('refuses a revoked session, by the client or by the admin button', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    const first = await gateway.mint('sandbox', key);
    expect((await gateway.fetch('/sandbox/api/x', { headers: { authorization: `Bearer ${first}` } })).status).toBe(200);
    await gateway.fetch('/sandbox/oauth/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: key.applicationId, client_secret: key.applicationSecret, token: first }),
    });
    await expectInvalidToken(await gateway.fetch('/sandbox/api/x', { headers: { authorization: `Bearer ${first}` } }), /revoked/);

    const second = await gateway.mint('sandbox', key);
    expect(second).not.toBe(first);
    expect((await gateway.fetch('/sandbox/api/x', { headers: { authorization: `Bearer ${second}` } })).status).toBe(200);
    expect((await gateway.admin('POST', `/accounts/${account.id}/keys/${key.id}/revoke-sessions`)).status).toBe(200);
    await expectInvalidToken(await gateway.fetch('/sandbox/api/x', { headers: { authorization: `Bearer ${second}` } }), /revoked/);
  });

  it('still passes a live session of a deleted key', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    const token = await gateway.mint('sandbox', key);
    await gateway.admin('DELETE', `/accounts/${account.id}/keys/${key.id}`);
    expect((await gateway.fetch('/sandbox/api/x', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('refuses Api-Key when KEYMINT_DIRECT_KEY_AUTH=false', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    await expectInvalidToken(await gateway.fetch('/sandbox/api/x', { headers: { 'api-key': key.applicationSecret } }), /oauth\/token/);
    await expectInvalidToken(
      await gateway.fetch('/sandbox/api/x', { headers: { authorization: `Api-Key ${key.applicationSecret}` } }),
      /oauth\/token/,
    );
  });
});

describe.each(SERVER_PATHS)('Api-Key changes made by another process, %s', (_path, server) => {
  it('take effect within 1 s through the look-up cache', async () => {
    const upstream = await startUpstream();
    // No change feed between them (no Redis): the proxy's cache holds an answer at most 1 s. (Each test gateway has
    // a Redis prefix of its own, so on Redis they would not hear each other, yet trust their cache for a minute.)
    const admin = await startGateway({ sessions: 'memory' });
    const proxy = await startGateway({ server, sessions: 'memory', directory: admin.directory, env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url } });
    try {
      const account = await admin.createAccount();
      const key = await admin.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
      const probe = () => proxy.fetch('/sandbox/api/x', { headers: { 'api-key': key.applicationSecret } });
      expect((await probe()).status).toBe(200);
      await admin.admin('POST', `/accounts/${account.id}/keys/${key.id}/disable`);
      expect(await untilStatus(probe, 401)).toBeLessThan(1000);
    } finally {
      await proxy.close();
      await admin.close();
      await upstream.close();
    }
  });
});
