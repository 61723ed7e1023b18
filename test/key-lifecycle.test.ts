// SPEC §9 key lifecycle through the admin API: unique names (also racing), the per-account cap, the account list,
// roll with overlap on the token endpoint and the proxy's Api-Key path, retire-previous, and admin tokens listed,
// used and revoked (on the admin API and in the console).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdminTokenWithId, expectProblem } from './support/admin-auth-suite.js';
import { ConsoleClient } from './support/console-client.js';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { createTestClock, type TestClock } from './support/oauth-calls.js';
import { startUpstream, type Upstream } from './support/upstream.js';

interface KeyBody extends ApiKeyWithSecret {
  previous: { applicationId: string; secretHint: string; expiresAt: string; lastUsedAt: string | null } | null;
}

async function json<T>(response: Response, status = 200): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

describe('key lifecycle (SPEC §9)', () => {
  let gateway: Gateway;
  let upstream: Upstream;
  let clock: TestClock;
  beforeAll(async () => {
    clock = createTestClock();
    upstream = await startUpstream();
    gateway = await startGateway({
      clock,
      env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url, KEYMINT_KEYS_PER_ENVIRONMENT: '50', KEYMINT_KEYS_PER_ACCOUNT: '4' },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  describe('names', () => {
    it('are unique per account and environment: 409 name_taken on create and on rename, nothing changed', async () => {
      const { id: accountId } = await gateway.createAccount();
      const billing = await gateway.createKey(accountId, { environment: 'sandbox', name: 'billing' });
      const body = await expectProblem(await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'billing' }), 409);
      expect(body).toMatchObject({ code: 'name_taken', detail: expect.stringContaining('billing') });
      // The same name in the other environment, or in another account, is another key's.
      await gateway.createKey(accountId, { environment: 'production', name: 'billing' });
      await gateway.createKey((await gateway.createAccount()).id, { environment: 'sandbox', name: 'billing' });

      const reports = await gateway.createKey(accountId, { environment: 'sandbox', name: 'reports' });
      const renamed = await gateway.admin('PATCH', `/accounts/${accountId}/keys/${reports.id}`, { name: 'billing', scopes: ['x'] });
      expect(await expectProblem(renamed, 409)).toMatchObject({ code: 'name_taken' });
      const after = await json<KeyBody>(await gateway.admin('GET', `/accounts/${accountId}/keys/${reports.id}`));
      expect(after).toMatchObject({ name: 'reports', scopes: [] });
      // Renaming a key to its own name is no conflict.
      expect((await gateway.admin('PATCH', `/accounts/${accountId}/keys/${billing.id}`, { name: 'billing' })).status).toBe(200);
    });

    it('hold when ten creates race for one name: exactly one is created', async () => {
      const { id: accountId } = await gateway.createAccount();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'racer' })),
      );
      expect(answers.map((response) => response.status).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
      const page = await json<{ items: KeyBody[] }>(await gateway.admin('GET', `/accounts/${accountId}/keys`));
      expect(page.items.map((key) => key.name)).toEqual(['racer']);
    });
  });

  describe('KEYMINT_KEYS_PER_ACCOUNT', () => {
    it('caps keys over both environments with 409 limit_exceeded naming the limit; a deletion frees a slot', async () => {
      const { id: accountId } = await gateway.createAccount();
      const created: ApiKeyWithSecret[] = [];
      for (const environment of ['sandbox', 'production', 'sandbox', 'production'] as const) {
        created.push(await gateway.createKey(accountId, { environment }));
      }
      const refused = await expectProblem(await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'fifth' }), 409);
      expect(refused).toMatchObject({ code: 'limit_exceeded', detail: expect.stringMatching(/4 keys/) });
      expect(String(refused.detail)).not.toMatch(/in sandbox/);
      expect((await gateway.admin('DELETE', `/accounts/${accountId}/keys/${created[1]!.id}`)).status).toBe(204);
      await gateway.createKey(accountId, { environment: 'sandbox', name: 'fifth' });
    });
  });

  describe('GET /admin/v1/accounts', () => {
    it('lists every account to root, oldest first, a page at a time', async () => {
      const mine = [await gateway.createAccount('List A'), await gateway.createAccount('List B'), await gateway.createAccount('List C')];
      const seen: Array<{ id: string; name: string; createdAt: string }> = [];
      let cursor: string | null = null;
      do {
        const page: { items: typeof seen; nextCursor: string | null } = await json(
          await gateway.admin('GET', `/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
        );
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(seen.map((account) => account.id)).size).toBe(seen.length);
      expect(seen.filter((account) => mine.some((m) => m.id === account.id)).map((account) => account.name)).toEqual(['List A', 'List B', 'List C']);
      expect(seen.map((account) => account.id)).toEqual([...seen.map((account) => account.id)].sort());
    });

    it('answers 400 problem JSON for a bad cursor or limit', async () => {
      for (const query of ['limit=0', 'limit=x', 'cursor=key_nope']) {
        await expectProblem(await gateway.admin('GET', `/accounts?${query}`), 400);
      }
    });
  });

  describe('roll with overlap', () => {
    let accountId: string;
    // KEYMINT_KEYS_PER_ACCOUNT is 4 here: an account per test.
    beforeEach(async () => {
      accountId = (await gateway.createAccount()).id;
    });

    const regenerate = async (key: { id: string }, body?: unknown) =>
      json<KeyBody>(
        await (body === undefined
          ? gateway.fetch(`/admin/v1/accounts/${accountId}/keys/${key.id}/regenerate`, { method: 'POST', headers: { authorization: `Bearer ${gateway.rootToken}` } })
          : gateway.admin('POST', `/accounts/${accountId}/keys/${key.id}/regenerate`, body)),
      );
    const proxied = (secret: string) => gateway.fetch('/sandbox/api/ping', { headers: { authorization: `Api-Key ${secret}` } });
    const readKey = (key: { id: string }) => gateway.admin('GET', `/accounts/${accountId}/keys/${key.id}`).then((r) => json<KeyBody>(r));

    it('without a body (or with 0) is what it always was: the old pair stops at once, no previous', async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox' });
      const rolled = await regenerate(key);
      expect(rolled.previous).toBeNull();
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(401);
      expect((await gateway.exchange('sandbox', rolled.applicationId, rolled.applicationSecret)).status).toBe(200);
      const again = await regenerate(rolled, { overlapSeconds: 0 });
      expect(again.previous).toBeNull();
      expect((await proxied(rolled.applicationSecret)).status).toBe(401);
    });

    it('keeps the previous pair minting on the token endpoint and the Api-Key path until the overlap ends, with its own lastUsedAt', async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox' });
      const before = clock.now();
      const rolled = await regenerate(key, { overlapSeconds: 3600 });
      expect(rolled.applicationId).not.toBe(key.applicationId);
      expect(rolled.previous).toEqual({
        applicationId: key.applicationId,
        secretHint: key.secretHint,
        expiresAt: expect.any(String),
        lastUsedAt: null,
      });
      // An hour from the roll.
      const ends = Date.parse(rolled.previous!.expiresAt);
      expect(ends).toBeGreaterThanOrEqual(before + 3600_000);
      expect(ends).toBeLessThanOrEqual(Date.parse(rolled.updatedAt) + 3600_000);
      // Both pairs mint and call.
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(200);
      expect((await gateway.exchange('sandbox', rolled.applicationId, rolled.applicationSecret)).status).toBe(200);
      expect((await proxied(key.applicationSecret)).status).toBe(200);
      expect((await proxied(rolled.applicationSecret)).status).toBe(200);
      // The old pair's use is recorded on it (off the request path).
      await expect.poll(async () => (await readKey(key)).previous?.lastUsedAt, { timeout: 5000 }).not.toBeNull();

      // Until the end it still mints; at the end it is as unknown as any replaced pair.
      clock.advance((ends - clock.now()) / 1000 - 1);
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(200);
      clock.advance(1);
      const ended = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
      expect(ended.status).toBe(401);
      expect(await ended.json()).toMatchObject({ error: 'invalid_client' });
      expect((await proxied(key.applicationSecret)).status).toBe(401);
      expect((await gateway.exchange('sandbox', rolled.applicationId, rolled.applicationSecret)).status).toBe(200);
      expect((await readKey(key)).previous).toBeNull();
    });

    it('retire-previous ends the overlap at once, and is audited', async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox' });
      const rolled = await regenerate(key, { overlapSeconds: 86_400 });
      expect((await proxied(key.applicationSecret)).status).toBe(200);
      const retired = await json<KeyBody>(await gateway.admin('POST', `/accounts/${accountId}/keys/${key.id}/retire-previous`));
      expect(retired.previous).toBeNull();
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(401);
      expect((await proxied(key.applicationSecret)).status).toBe(401);
      expect((await gateway.exchange('sandbox', rolled.applicationId, rolled.applicationSecret)).status).toBe(200);
      // Again: nothing to retire, the key as it is.
      expect((await json<KeyBody>(await gateway.admin('POST', `/accounts/${accountId}/keys/${key.id}/retire-previous`))).previous).toBeNull();
      const log = await json<{ items: Array<{ action: string; keyId: string }> }>(await gateway.admin('GET', `/accounts/${accountId}/operations`));
      expect(log.items.filter((op) => op.keyId === key.id).map((op) => op.action)).toEqual(['key.previous_retired', 'key.regenerated', 'key.created']);
    });

    it('regenerating during an overlap keeps only the pair it replaces: the older previous stops at once', async () => {
      const first = await gateway.createKey(accountId, { environment: 'sandbox' });
      const second = await regenerate(first, { overlapSeconds: 3600 });
      const third = await regenerate(first, { overlapSeconds: 600 });
      expect(third.previous).toMatchObject({ applicationId: second.applicationId, secretHint: second.secretHint });
      expect((await gateway.exchange('sandbox', first.applicationId, first.applicationSecret)).status).toBe(401);
      expect((await gateway.exchange('sandbox', second.applicationId, second.applicationSecret)).status).toBe(200);
      expect((await gateway.exchange('sandbox', third.applicationId, third.applicationSecret)).status).toBe(200);
    });

    it('racing regenerates leave at most two pairs that mint', async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox' });
      const rolls = await Promise.all(Array.from({ length: 5 }, () => regenerate(key, { overlapSeconds: 3600 })));
      const pairs = [[key.applicationId, key.applicationSecret], ...rolls.map((r) => [r.applicationId, r.applicationSecret])] as const;
      const minting = [];
      for (const [id, secret] of pairs) if ((await gateway.exchange('sandbox', id, secret)).status === 200) minting.push(id);
      expect(minting.length).toBeGreaterThanOrEqual(1);
      expect(minting.length).toBeLessThanOrEqual(2);
      const now = await readKey(key);
      expect(minting).toContain(now.applicationId);
    });

    it('answers 400 problem JSON for an overlap out of range or not whole, and changes nothing', async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox' });
      for (const body of [{ overlapSeconds: -1 }, { overlapSeconds: 604_801 }, { overlapSeconds: 1.5 }, { overlapSeconds: '60' }, { overlap: 60 }]) {
        const body400 = await expectProblem(await gateway.admin('POST', `/accounts/${accountId}/keys/${key.id}/regenerate`, body), 400);
        expect(body400.issues).toBeDefined();
      }
      expect((await readKey(key)).applicationId).toBe(key.applicationId);
      expect((await regenerate(key, { overlapSeconds: 604_800 })).previous).not.toBeNull();
    });
  });

  describe('admin tokens', () => {
    it('are listed to root with name, role, created and last used — never the token or its hash', async () => {
      const { id: accountId } = await gateway.createAccount();
      const manager = await createAdminTokenWithId(gateway, accountId, 'manager', 'deploy bot');
      const viewer = await createAdminTokenWithId(gateway, accountId, 'viewer', 'dashboard');
      const listed = await json<{ items: Array<Record<string, unknown>> }>(await gateway.admin('GET', `/accounts/${accountId}/admin-tokens`));
      expect(listed.items).toEqual([
        { id: manager.id, accountId, name: 'deploy bot', role: 'manager', createdAt: expect.any(String), lastUsedAt: null },
        { id: viewer.id, accountId, name: 'dashboard', role: 'viewer', createdAt: expect.any(String), lastUsedAt: null },
      ]);
      const text = JSON.stringify(listed);
      expect(text).not.toContain(manager.token);
      expect(text).not.toMatch(/hash/i);

      // A use is recorded; another within the minute is not written again.
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, manager.token)).status).toBe(200);
      const lastUsed = async () =>
        (await json<{ items: Array<{ id: string; lastUsedAt: string | null }> }>(await gateway.admin('GET', `/accounts/${accountId}/admin-tokens`))).items.find(
          (token) => token.id === manager.id,
        )!.lastUsedAt;
      await expect.poll(lastUsed, { timeout: 5000 }).not.toBeNull();
      const first = await lastUsed();
      clock.advance(30);
      await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, manager.token);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await lastUsed()).toBe(first);
      clock.advance(31);
      await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, manager.token);
      await expect.poll(lastUsed, { timeout: 5000 }).not.toBe(first);
    });

    it('once deleted are refused at once, on the admin API and in console sessions signed in with them; audited', async () => {
      const { id: accountId } = await gateway.createAccount();
      const manager = await createAdminTokenWithId(gateway, accountId, 'manager');
      const console = new ConsoleClient(gateway);
      await console.signIn(manager.token);
      expect((await console.request('GET', `/console/accounts/${accountId}/sandbox`)).status).toBe(200);
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, manager.token)).status).toBe(200);

      expect((await gateway.admin('DELETE', `/accounts/${accountId}/admin-tokens/${manager.id}`)).status).toBe(204);
      await expectProblem(await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, manager.token), 401);
      const page = await console.request('GET', `/console/accounts/${accountId}/sandbox`);
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/console/sign-in?notice=ended');
      // Gone from the list; deleting it again is 404.
      expect((await json<{ items: unknown[] }>(await gateway.admin('GET', `/accounts/${accountId}/admin-tokens`))).items).toEqual([]);
      await expectProblem(await gateway.admin('DELETE', `/accounts/${accountId}/admin-tokens/${manager.id}`), 404);
      const log = await json<{ items: Array<{ action: string; actor: string }> }>(await gateway.admin('GET', `/accounts/${accountId}/operations`));
      expect(log.items[0]).toMatchObject({ action: 'admin_token.revoked', actor: 'root' });
    });

    it("are 404 through another account's path, and stay valid", async () => {
      const { id: accountId } = await gateway.createAccount();
      const { id: otherId } = await gateway.createAccount();
      const viewer = await createAdminTokenWithId(gateway, accountId, 'viewer');
      await expectProblem(await gateway.admin('DELETE', `/accounts/${otherId}/admin-tokens/${viewer.id}`), 404);
      await expectProblem(await gateway.admin('DELETE', `/accounts/${otherId}/admin-tokens/adm_nope`), 404);
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, viewer.token)).status).toBe(200);
    });
  });
});
