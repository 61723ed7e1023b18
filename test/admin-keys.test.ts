// SPEC §4 API access keys: create (secret shown once), list and get (never a secret), pagination, PATCH taking
// effect for minting at once, input validation, and the per-environment limit (also under concurrent creates).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken, expectProblem } from './support/admin-auth-suite.js';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { createTestClock, type TestClock } from './support/oauth-calls.js';

interface KeyView {
  id: string;
  applicationId: string;
  name: string;
  scopes: string[];
  status: string;
  expiresAt: string | null;
  [field: string]: unknown;
}

interface KeyPage {
  items: KeyView[];
  nextCursor: string | null;
}

/** Fails when any field of `body`, however deep, holds the secret or is named like a secret or its hash. */
function expectNoSecret(body: unknown, secret: string) {
  const text = JSON.stringify(body);
  expect(text).not.toContain(secret);
  expect(text).not.toMatch(/secretHash|secret_hash|applicationSecret|"hash"/i);
}

describe('API access keys', () => {
  let gateway: Gateway;
  let clock: TestClock;
  let accountId: string;
  let managerToken: string;
  beforeAll(async () => {
    clock = createTestClock();
    gateway = await startGateway({ clock });
    accountId = (await gateway.createAccount()).id;
    managerToken = await createAdminToken(gateway, accountId, 'manager');
  });
  afterAll(() => gateway.close());

  const keysPath = () => `/accounts/${accountId}/keys`;

  async function freshAccount(): Promise<string> {
    return (await gateway.createAccount('Fresh')).id;
  }

  describe('create, list and get', () => {
    let created: ApiKeyWithSecret;
    beforeAll(async () => {
      created = await gateway.createKey(accountId, { environment: 'sandbox', name: 'billing', scopes: ['a', 'b'] }, managerToken);
    });

    it('returns the key with its application secret once, at creation', () => {
      expect(created).toMatchObject({
        id: expect.stringMatching(/^key_/),
        accountId,
        environment: 'sandbox',
        name: 'billing',
        applicationId: expect.stringMatching(/^app_sbx_/),
        applicationSecret: expect.stringMatching(/^sk_sbx_/),
        scopes: ['a', 'b'],
        status: 'active',
        expiresAt: null,
        lastUsedAt: null,
      });
      expect(created.secretHint).toBe(created.applicationSecret.slice(-4));
      expect(Date.parse(created.createdAt)).not.toBeNaN();
    });

    it('never shows the secret or its hash when the key is read', async () => {
      const response = await gateway.admin('GET', `${keysPath()}/${created.id}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as KeyView;
      const { applicationSecret: _secret, ...expected } = created;
      expect(body).toEqual(expected);
      expectNoSecret(body, created.applicationSecret);
    });

    it('never shows the secret or its hash when keys are listed', async () => {
      const response = await gateway.admin('GET', keysPath());
      expect(response.status).toBe(200);
      const page = (await response.json()) as KeyPage;
      expect(page.items.map((key) => key.id)).toContain(created.id);
      expectNoSecret(page, created.applicationSecret);
    });

    it('lets a viewer read keys', async () => {
      const viewer = await createAdminToken(gateway, accountId, 'viewer');
      expect((await gateway.admin('GET', `${keysPath()}/${created.id}`, undefined, viewer)).status).toBe(200);
      expect((await gateway.admin('GET', keysPath(), undefined, viewer)).status).toBe(200);
    });

    it('answers 404 for a key id that does not exist', async () => {
      await expectProblem(await gateway.admin('GET', `${keysPath()}/key_0000000000000000000000`), 404);
      await expectProblem(await gateway.admin('GET', `${keysPath()}/not-a-key-id`), 404);
    });

    it('answers 404 for the keys of an account that does not exist', async () => {
      const missing = '/accounts/acct_0000000000000000000000/keys';
      await expectProblem(await gateway.admin('GET', missing), 404);
      await expectProblem(await gateway.admin('POST', missing, { environment: 'sandbox', name: 'x' }), 404);
    });

    it('the new pair mints at once', async () => {
      expect((await gateway.exchange('sandbox', created.applicationId, created.applicationSecret)).status).toBe(200);
    });
  });

  describe('pagination', () => {
    it('walks every key with limit and nextCursor, each exactly once', async () => {
      const account = await freshAccount();
      const ids: string[] = [];
      for (const environment of ['sandbox', 'production'] as const) {
        for (let n = 0; n < 3; n++) ids.push((await gateway.createKey(account, { environment, name: `k${n}` })).id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = new URLSearchParams({ limit: '4', ...(cursor && { cursor }) }).toString();
        const response = await gateway.admin('GET', `/accounts/${account}/keys?${query}`);
        expect(response.status).toBe(200);
        const page = (await response.json()) as KeyPage;
        expect(page.items.length).toBeLessThanOrEqual(4);
        seen.push(...page.items.map((key) => key.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(2);
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(new Set(seen).size).toBe(ids.length);
    });

    it('filters by environment', async () => {
      const account = await freshAccount();
      const sandbox = await gateway.createKey(account, { environment: 'sandbox' });
      await gateway.createKey(account, { environment: 'production' });
      const page = (await (await gateway.admin('GET', `/accounts/${account}/keys?environment=sandbox`)).json()) as KeyPage;
      expect(page.items.map((key) => key.id)).toEqual([sandbox.id]);
      expect(page.nextCursor).toBeNull();
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['environment=staging', 'environment'],
      ['unknown=1', ''],
    ])('answers 400 with issues for ?%s', async (query, path) => {
      const body = await expectProblem(await gateway.admin('GET', `${keysPath()}?${query}`), 400);
      const issues = body.issues as Array<{ path: string; message: string }>;
      expect(issues.length).toBeGreaterThan(0);
      if (path) expect(issues.map((issue) => issue.path)).toContain(path);
    });
  });

  describe('PATCH takes effect for minting at once', () => {
    let key: ApiKeyWithSecret;
    beforeAll(async () => {
      key = await gateway.createKey(await freshAccount(), { environment: 'production', scopes: ['read', 'write'] });
    });
    const path = () => `/accounts/${key.accountId}/keys/${key.id}`;

    it('renames the key', async () => {
      const response = await gateway.admin('PATCH', path(), { name: 'renamed' }, undefined);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: key.id, name: 'renamed', scopes: ['read', 'write'] });
      expect(await (await gateway.admin('GET', path())).json()).toMatchObject({ name: 'renamed' });
    });

    it('a removed scope can no longer be requested, and default scope follows', async () => {
      expect(await gateway.mint('production', key, 'write')).toEqual(expect.any(String));
      const response = await gateway.admin('PATCH', path(), { scopes: ['read'] });
      expect(await response.json()).toMatchObject({ scopes: ['read'] });
      const refused = await gateway.exchange('production', key.applicationId, key.applicationSecret, { scope: 'write' });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'invalid_scope' });
      const defaults = await gateway.exchange('production', key.applicationId, key.applicationSecret);
      expect(await defaults.json()).toMatchObject({ scope: 'read' });
    });

    it('an added scope can be requested at once', async () => {
      await gateway.admin('PATCH', path(), { scopes: ['read', 'export'] });
      const response = await gateway.exchange('production', key.applicationId, key.applicationSecret, { scope: 'export' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ scope: 'export' });
    });

    it('an expiresAt stops minting once it passes, and clearing it lets the key mint again', async () => {
      const expiresAt = new Date(clock.now() + 60_000).toISOString();
      const response = await gateway.admin('PATCH', path(), { expiresAt });
      expect(await response.json()).toMatchObject({ expiresAt });
      expect((await gateway.exchange('production', key.applicationId, key.applicationSecret)).status).toBe(200);
      clock.advance(61);
      const expired = await gateway.exchange('production', key.applicationId, key.applicationSecret);
      expect(expired.status).toBe(401);
      expect(await expired.json()).toMatchObject({ error: 'invalid_client' });
      expect(await (await gateway.admin('PATCH', path(), { expiresAt: null })).json()).toMatchObject({ expiresAt: null });
      expect((await gateway.exchange('production', key.applicationId, key.applicationSecret)).status).toBe(200);
    });

    it('answers 400 for an empty patch', async () => {
      await expectProblem(await gateway.admin('PATCH', path(), {}), 400);
    });
  });

  describe('input validation', () => {
    const valid = { environment: 'sandbox', name: 'ok' };

    it.each([
      ['an unknown field', { ...valid, secret: 'mine' }, ''],
      ['a bad environment', { ...valid, environment: 'staging' }, 'environment'],
      ['a missing name', { environment: 'sandbox' }, 'name'],
      ['a blank name', { ...valid, name: '   ' }, 'name'],
      ['a scope with a space', { ...valid, scopes: ['read write'] }, 'scopes.0'],
      ['scopes that are not a list', { ...valid, scopes: 'read' }, 'scopes'],
      ['an expiresAt that is not a date', { ...valid, expiresAt: 'tomorrow' }, 'expiresAt'],
      ['an expiresAt in the past', { ...valid, expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      ['a JSON array', [valid], '(body)'],
    ])('answers 400 with zod issues for %s', async (_, body, path) => {
      const response = await gateway.admin('POST', keysPath(), body);
      const problem = await expectProblem(response, 400);
      const issues = problem.issues as Array<{ path: string; message: string }>;
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) expect(issue).toEqual({ path: expect.any(String), message: expect.any(String) });
      if (path) expect(issues.map((issue) => issue.path)).toContain(path);
      else expect(issues.map((issue) => issue.message).join(' ')).toContain('secret');
    });

    it.each([
      ['400 for a body that is not valid JSON', 'application/json', '{"environment": "sandbox",', 400],
      ['415 for a body that is not declared as JSON', 'application/x-www-form-urlencoded', 'environment=sandbox&name=f', 415],
      ['415 for a text/plain body', 'text/plain', '{"environment": "sandbox", "name": "x"}', 415],
    ])('answers %s', async (_, type, body, status) => {
      const response = await gateway.fetch(`/admin/v1${keysPath()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.rootToken}`, 'content-type': type },
        body,
      });
      await expectProblem(response, status);
    });

    it('answers 400 with issues for a bad PATCH', async () => {
      const key = await gateway.createKey(accountId, { environment: 'production' });
      const response = await gateway.admin('PATCH', `${keysPath()}/${key.id}`, { environment: 'sandbox' });
      const problem = await expectProblem(response, 400);
      expect((problem.issues as unknown[]).length).toBeGreaterThan(0);
      expect(await (await gateway.admin('GET', `${keysPath()}/${key.id}`)).json()).toMatchObject({ environment: 'production' });
    });

    it('creates nothing when it refuses a body', async () => {
      const account = await freshAccount();
      await gateway.admin('POST', `/accounts/${account}/keys`, { environment: 'staging', name: 'x' });
      await gateway.admin('POST', `/accounts/${account}/keys`, { environment: 'sandbox', name: 'x', expiresAt: '2001-01-01T00:00:00Z' });
      const page = (await (await gateway.admin('GET', `/accounts/${account}/keys`)).json()) as KeyPage;
      expect(page.items).toEqual([]);
    });
  });

  describe('per-environment key limit (default 3)', () => {
    it('answers 409 limit_exceeded at the 4th key in one environment while the other still accepts', async () => {
      const account = await freshAccount();
      for (let n = 0; n < 3; n++) await gateway.createKey(account, { environment: 'sandbox' });
      const fourth = await gateway.admin('POST', `/accounts/${account}/keys`, { environment: 'sandbox', name: 'fourth' });
      const problem = await expectProblem(fourth, 409);
      expect(JSON.stringify(problem)).toContain('limit_exceeded');
      const production = await gateway.admin('POST', `/accounts/${account}/keys`, { environment: 'production', name: 'p' });
      expect(production.status).toBe(201);
    });

    it('frees a slot when a key is deleted', async () => {
      const account = await freshAccount();
      const keys = [];
      for (let n = 0; n < 3; n++) keys.push(await gateway.createKey(account, { environment: 'production' }));
      expect((await gateway.admin('DELETE', `/accounts/${account}/keys/${keys[0]!.id}`)).status).toBe(204);
      expect((await gateway.admin('POST', `/accounts/${account}/keys`, { environment: 'production', name: 'n' })).status).toBe(201);
    });

    it('holds under 10 concurrent creates: exactly 3 created, 7 refused', async () => {
      const account = await freshAccount();
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, n) =>
          gateway.admin('POST', `/accounts/${account}/keys`, { environment: 'sandbox', name: `race ${n}` }),
        ),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(3);
      expect(statuses.filter((status) => status === 409)).toHaveLength(7);
      const page = (await (await gateway.admin('GET', `/accounts/${account}/keys`)).json()) as KeyPage;
      expect(page.items).toHaveLength(3);
      const created = await Promise.all(responses.filter((r) => r.status === 201).map((r) => r.json() as Promise<KeyView>));
      expect(page.items.map((key) => key.id).sort()).toEqual(created.map((key) => key.id).sort());
    });

    it('follows KEYMINT_KEYS_PER_ENVIRONMENT', async () => {
      const limited = await startGateway({ env: { KEYMINT_KEYS_PER_ENVIRONMENT: '1' } });
      try {
        const account = await limited.createAccount();
        await limited.createKey(account.id, { environment: 'sandbox' });
        await expectProblem(await limited.admin('POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'b' }), 409);
      } finally {
        await limited.close();
      }
    });
  });
});

describe('keys under KEYMINT_SCOPES', () => {
  it('answers 400 with an issue on scopes for a scope outside the configured list', async () => {
    const gateway = await startGateway({ env: { KEYMINT_SCOPES: 'orders:read orders:write' } });
    try {
      const account = await gateway.createAccount();
      const response = await gateway.admin('POST', `/accounts/${account.id}/keys`, {
        environment: 'sandbox',
        name: 'k',
        scopes: ['orders:read', 'admin'],
      });
      const problem = await expectProblem(response, 400);
      expect(problem.issues).toEqual([{ path: 'scopes', message: expect.stringContaining('admin') }]);
      expect((await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:write'] })).scopes).toEqual([
        'orders:write',
      ]);
    } finally {
      await gateway.close();
    }
  });
});
