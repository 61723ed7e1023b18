// The KeyStore contract: accounts, admin tokens, keys under the per-environment limit, the audit log, cursors, outages.
import { describe, expect, it } from 'vitest';
import type { Environment } from '../../shared/domain.js';
import type { AccountRecord, KeyRecord, KeyStore, OperationAction, OperationRecord, Page } from '../key-store.js';
import { StoreUnavailableError } from '../store-errors.js';
import { fail, ok } from '../../shared/result.js';
import { expectUnavailable, nextId, openFixtures, SECRET_KEY_DEFAULTS, type StoreFixture } from './fixtures.js';

export interface KeyStoreFixture extends StoreFixture<KeyStore> {
  /**
   * Another store over the same database through a connection of its own — what a second process or
   * isolate holds — where the backend has such a thing. Concurrent writes are spread over both.
   */
  sibling?(): KeyStore;
}

function operation(
  action: OperationAction,
  accountId: string | null,
  at: number,
  key?: { id: string; environment: Environment },
): OperationRecord {
  return {
    id: nextId('op_'),
    accountId,
    environment: key?.environment ?? null,
    keyId: key?.id ?? null,
    action,
    actor: 'root',
    at,
  };
}

function keyRecord(accountId: string, environment: Environment, at: number, overrides: Partial<KeyRecord> = {}): KeyRecord {
  const id = nextId('key_');
  return {
    id,
    accountId,
    environment,
    name: `key ${id}`,
    applicationId: nextId(environment === 'sandbox' ? 'app_sbx_' : 'app_prd_'),
    secretHash: nextId('hash_'),
    secretHint: 'abcd',
    scopes: ['orders:read', 'orders:write'],
    status: 'active',
    expiresAt: null,
    createdAt: at,
    updatedAt: at,
    lastUsedAt: null,
    ...SECRET_KEY_DEFAULTS,
    ...overrides,
  };
}

/** Every item of every page, following `next` from the start. */
async function allPages<T>(read: (after: string | undefined) => Promise<Page<T>>): Promise<{ pages: T[][]; items: T[] }> {
  const pages: T[][] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await read(after);
    pages.push(page.items);
    if (page.next === null) break;
    after = page.next;
  }
  return { pages, items: pages.flat() };
}

/**
 * Declares the KeyStore contract against stores from `factory`, one fresh fixture per test. Tests make
 * their own accounts with unique ids, so a factory may hand out stores over one shared database.
 */
export function describeKeyStoreContract(name: string, factory: () => KeyStoreFixture | Promise<KeyStoreFixture>): void {
  describe(`KeyStore contract: ${name}`, () => {
    const open = openFixtures(factory);

    async function withAccount(fixture: KeyStoreFixture): Promise<AccountRecord> {
      const account = { id: nextId('acct_'), name: 'Acme', createdAt: fixture.clock.now() };
      await fixture.store.createAccount(account, operation('account.created', account.id, account.createdAt));
      return account;
    }

    /** A key inserted (under a roomy limit) into the account, with its audit entry. */
    async function withKey(fixture: KeyStoreFixture, accountId: string, overrides: Partial<KeyRecord> = {}): Promise<KeyRecord> {
      const key = keyRecord(accountId, 'sandbox', fixture.clock.now(), overrides);
      expect(await fixture.store.insertKey(key, { perEnvironment: 10 }, operation('key.created', accountId, key.createdAt, key))).toEqual(ok(undefined));
      return key;
    }

    async function actions(store: KeyStore, accountId: string): Promise<string[]> {
      const { items } = await allPages((after) => store.listOperations(accountId, { after, limit: 100 }));
      return items.map((entry) => `${entry.action} ${entry.keyId ?? '-'}`);
    }

    it('stores an account with its audit entry, and reads it back', async () => {
      const fixture = await open();
      const account = await withAccount(fixture);
      expect(await fixture.store.getAccount(account.id)).toEqual(account);
      expect(await fixture.store.getAccount(nextId('acct_'))).toBeNull();
      expect(await actions(fixture.store, account.id)).toEqual(['account.created -']);
    });

    it('finds an admin token by its hash alone', async () => {
      const fixture = await open();
      const account = await withAccount(fixture);
      const token = {
        id: nextId('adm_'),
        accountId: account.id,
        name: 'ci',
        role: 'viewer' as const,
        tokenHash: nextId('hash_'),
        createdAt: fixture.clock.now(),
        lastUsedAt: null,
      };
      await fixture.store.createAdminToken(token, operation('admin_token.created', account.id, token.createdAt));
      expect(await fixture.store.findAdminTokenByHash(token.tokenHash)).toEqual(token);
      expect(await fixture.store.findAdminTokenByHash(nextId('hash_'))).toBeNull();
      expect(await actions(fixture.store, account.id)).toEqual(['admin_token.created -', 'account.created -']);
    });

    it('finds a key by id within its account, by application ID and by secret hash, exactly as stored', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const stranger = await withAccount(fixture);
      const key = keyRecord(account.id, 'production', clock.now(), { scopes: ['a', 'b:c'], expiresAt: clock.now() + 86_400_000 });
      expect(await store.insertKey(key, { perEnvironment: 3 }, operation('key.created', account.id, key.createdAt, key))).toEqual(ok(undefined));

      expect(await store.getKey(account.id, key.id)).toEqual(key);
      expect(await store.findKeyByApplicationId(key.applicationId)).toEqual({ key: key, pair: 'current' });
      expect(await store.findKeyBySecretHash(key.secretHash!)).toEqual({ key: key, pair: 'current' });
      // Another account never sees it; unknown look-ups find nothing.
      expect(await store.getKey(stranger.id, key.id)).toBeNull();
      expect(await store.findKeyByApplicationId(nextId('app_prd_'))).toBeNull();
      expect(await store.findKeyBySecretHash(nextId('hash_'))).toBeNull();
    });

    it('holds the per-environment key limit under concurrent creates: exactly `limit` succeed, each audited', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const stores = fixture.sibling ? [store, fixture.sibling()] : [store];
      const keys = Array.from({ length: 10 }, () => keyRecord(account.id, 'sandbox', clock.now()));
      const results = await Promise.all(
        keys.map((key, index) =>
          stores[index % stores.length]!.insertKey(key, { perEnvironment: 3 }, operation('key.created', account.id, key.createdAt, key)),
        ),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(3);
      expect(results.filter((result) => !result.ok)).toEqual(Array(7).fill(fail('limit_exceeded')));
      const created = keys.filter((_, index) => results[index]!.ok).map((key) => key.id);
      const listed = await store.listKeys(account.id, { environment: 'sandbox', limit: 100 });
      expect(listed.items.map((key) => key.id).sort()).toEqual([...created].sort());
      // A create the limit refused leaves no audit entry.
      const audited = (await actions(store, account.id)).filter((entry) => entry.startsWith('key.created'));
      expect(audited.sort()).toEqual(created.map((id) => `key.created ${id}`).sort());
    });

    it('counts the limit per account and environment', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const other = await withAccount(fixture);
      const insert = (key: KeyRecord) => store.insertKey(key, { perEnvironment: 2 }, operation('key.created', key.accountId, key.createdAt, key));
      expect(await insert(keyRecord(account.id, 'sandbox', clock.now()))).toEqual(ok(undefined));
      expect(await insert(keyRecord(account.id, 'sandbox', clock.now()))).toEqual(ok(undefined));
      expect(await insert(keyRecord(account.id, 'sandbox', clock.now()))).toEqual(fail('limit_exceeded'));
      expect(await insert(keyRecord(account.id, 'production', clock.now()))).toEqual(ok(undefined));
      expect(await insert(keyRecord(other.id, 'sandbox', clock.now()))).toEqual(ok(undefined));
    });

    it('pages keys in id order, each exactly once, with next null on the last page', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const sandbox = Array.from({ length: 7 }, () => keyRecord(account.id, 'sandbox', clock.now()));
      const production = Array.from({ length: 2 }, () => keyRecord(account.id, 'production', clock.now()));
      // Inserted out of order: the listing orders them, not the insertion.
      for (const key of [...production, ...sandbox].reverse()) {
        expect(await store.insertKey(key, { perEnvironment: 10 }, operation('key.created', account.id, key.createdAt, key))).toEqual(ok(undefined));
      }
      const ids = (keys: KeyRecord[]) => keys.map((key) => key.id);

      const inSandbox = await allPages((after) => store.listKeys(account.id, { environment: 'sandbox', after, limit: 3 }));
      expect(inSandbox.pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(ids(inSandbox.items)).toEqual(ids(sandbox));
      expect(inSandbox.items[0]).toEqual(sandbox[0]);

      // Nine keys in pages of three: the third page is the last, with no empty page after it.
      const all = await allPages((after) => store.listKeys(account.id, { after, limit: 3 }));
      expect(all.pages.map((page) => page.length)).toEqual([3, 3, 3]);
      expect(ids(all.items)).toEqual(ids([...sandbox, ...production]).sort());

      expect(await store.listKeys(account.id, { environment: 'production', limit: 5 })).toEqual({ items: production, next: null });
      const empty = await withAccount(fixture);
      expect(await store.listKeys(empty.id, { limit: 5 })).toEqual({ items: [], next: null });
    });

    it('updates a key with its audit entry; an unknown or foreign key changes nothing and records nothing', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const stranger = await withAccount(fixture);
      const key = await withKey(fixture, account.id);

      const changes = {
        name: 'renamed',
        scopes: ['orders:read'],
        status: 'disabled' as const,
        expiresAt: clock.now() + 60_000,
        applicationId: nextId('app_sbx_'),
        secretHash: nextId('hash_'),
        secretHint: 'wxyz',
        updatedAt: clock.now() + 1,
      };
      const updated = await store.updateKey(account.id, key.id, changes, operation('key.regenerated', account.id, changes.updatedAt, key));
      expect(updated).toEqual(ok({ ...key, ...changes }));
      expect(ok(await store.getKey(account.id, key.id))).toEqual(updated);
      // The regenerated pair replaces the old one in look-ups.
      expect(await store.findKeyByApplicationId(key.applicationId)).toBeNull();
      expect(await store.findKeyBySecretHash(key.secretHash!)).toBeNull();
      expect(await store.findKeyByApplicationId(changes.applicationId)).toEqual({ key: { ...key, ...changes }, pair: 'current' });
      expect(await store.findKeyBySecretHash(changes.secretHash)).toEqual({ key: { ...key, ...changes }, pair: 'current' });

      const missing = { id: nextId('key_'), environment: 'sandbox' as const };
      expect(await store.updateKey(account.id, missing.id, { name: 'x', updatedAt: 1 }, operation('key.updated', account.id, 1, missing))).toEqual(fail('not_found'));
      expect(await store.updateKey(stranger.id, key.id, { name: 'x', updatedAt: 1 }, operation('key.updated', stranger.id, 1, key))).toEqual(fail('not_found'));
      expect(await store.getKey(account.id, key.id)).toEqual({ ...key, ...changes });
      expect(await actions(store, account.id)).toEqual([`key.regenerated ${key.id}`, `key.created ${key.id}`, 'account.created -']);
      expect(await actions(store, stranger.id)).toEqual(['account.created -']);
    });

    it('deletes a key and keeps its audit entries; a second or foreign delete is false and records nothing', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const stranger = await withAccount(fixture);
      const key = await withKey(fixture, account.id);

      expect(await store.deleteKey(stranger.id, key.id, operation('key.deleted', stranger.id, 1, key))).toBe(false);
      expect(await store.getKey(account.id, key.id)).toEqual(key);
      expect(await store.deleteKey(account.id, key.id, operation('key.deleted', account.id, clock.now(), key))).toBe(true);
      expect(await store.getKey(account.id, key.id)).toBeNull();
      expect(await store.findKeyByApplicationId(key.applicationId)).toBeNull();
      expect(await store.findKeyBySecretHash(key.secretHash!)).toBeNull();
      expect((await store.listKeys(account.id, { limit: 10 })).items).toEqual([]);
      expect(await store.deleteKey(account.id, key.id, operation('key.deleted', account.id, clock.now(), key))).toBe(false);

      expect(await actions(store, account.id)).toEqual([`key.deleted ${key.id}`, `key.created ${key.id}`, 'account.created -']);
      expect(await actions(store, stranger.id)).toEqual(['account.created -']);
      // The freed place counts again under the limit.
      const next = keyRecord(account.id, 'sandbox', clock.now());
      expect(await store.insertKey(next, { perEnvironment: 1 }, operation('key.created', account.id, next.createdAt, next))).toEqual(ok(undefined));
    });

    it('records lastUsedAt without an audit entry or a change to updatedAt', async () => {
      const fixture = await open();
      const { store } = fixture;
      const account = await withAccount(fixture);
      const key = await withKey(fixture, account.id);
      await store.touchKey(key.id, key.createdAt + 5_000);
      expect(await store.getKey(account.id, key.id)).toEqual({ ...key, lastUsedAt: key.createdAt + 5_000 });
      expect(await actions(store, account.id)).toEqual([`key.created ${key.id}`, 'account.created -']);
      // Touching a key that no longer exists is harmless.
      await store.touchKey(nextId('key_'), 1);
    });

    it("lists an account's operations newest first, each exactly once, with next null on the last page", async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const other = await withAccount(fixture);
      const recorded = [];
      for (let index = 0; index < 5; index++) {
        const entry = operation('key.sessions_revoked', account.id, clock.now() + index, { id: nextId('key_'), environment: 'sandbox' });
        await store.recordOperation(entry);
        recorded.push(entry);
      }
      await store.recordOperation(operation('key.sessions_revoked', other.id, clock.now()));
      // Environment-wide entries (signing-key rotations) belong to no account.
      await store.recordOperation(operation('signing_key.rotated', null, clock.now()));

      const listed = await allPages((after) => store.listOperations(account.id, { after, limit: 2 }));
      expect(listed.pages.map((page) => page.length)).toEqual([2, 2, 2]);
      expect(listed.items.slice(0, 5)).toEqual([...recorded].reverse());
      expect(listed.items[5]).toMatchObject({ action: 'account.created', accountId: account.id });
      expect(await store.listOperations(account.id, { after: recorded[1]!.id, limit: 10 })).toEqual({
        items: [recorded[0], listed.items[5]],
        next: null,
      });
    });

    it('refuses a key whose application ID or secret hash is taken, as a fault and not as an outage', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const key = await withKey(fixture, account.id);
      for (const taken of [{ applicationId: key.applicationId }, { secretHash: key.secretHash }]) {
        const clash = keyRecord(account.id, 'sandbox', clock.now(), taken);
        const error: unknown = await store.insertKey(clash, { perEnvironment: 10 }, operation('key.created', account.id, 1, clash)).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(StoreUnavailableError);
        expect(await store.getKey(account.id, clash.id)).toBeNull();
      }
      expect(await actions(store, account.id)).toEqual([`key.created ${key.id}`, 'account.created -']);
    });

    it('keeps every field of a key as given: auth method, JWKs, DPoP, limits and a previous pair', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'one' }] };
      // A private_key_jwt key has no secret; two of them do not collide on the (null) secret hash.
      const jwtKeys = [0, 1].map(() =>
        keyRecord(account.id, 'sandbox', clock.now(), {
          authMethod: 'private_key_jwt',
          jwks,
          secretHash: null,
          secretHint: null,
          requireDpop: true,
          rateLimit: { requests: 100, windowSeconds: 60 },
          quota: { requests: 10_000, period: 'month' },
          tokenRateLimit: { requests: 5, windowSeconds: 1 },
        }),
      );
      for (const key of jwtKeys) {
        expect(await store.insertKey(key, { perEnvironment: 10 }, operation('key.created', account.id, key.createdAt, key))).toEqual(ok(undefined));
        expect(await store.getKey(account.id, key.id)).toEqual(key);
        expect(await store.findKeyByApplicationId(key.applicationId)).toEqual({ key, pair: 'current' });
      }

      const previous = {
        applicationId: nextId('app_sbx_'),
        secretHash: nextId('hash_'),
        secretHint: 'wxyz',
        expiresAt: clock.now() + 3_600_000,
        lastUsedAt: null,
      };
      const rolled = await withKey(fixture, account.id, { previous, quota: { requests: 7, period: 'day' } });
      expect(await store.getKey(account.id, rolled.id)).toEqual(rolled);
      // Either pair finds the key, and the store says which one matched.
      expect(await store.findKeyByApplicationId(rolled.applicationId)).toEqual({ key: rolled, pair: 'current' });
      expect(await store.findKeyByApplicationId(previous.applicationId)).toEqual({ key: rolled, pair: 'previous' });
      expect(await store.findKeyBySecretHash(rolled.secretHash!)).toEqual({ key: rolled, pair: 'current' });
      expect(await store.findKeyBySecretHash(previous.secretHash)).toEqual({ key: rolled, pair: 'previous' });
      // Expiry is core's to judge: the store still finds a previous pair past its end.
      const lapsedPair = { ...previous, applicationId: nextId('app_sbx_'), secretHash: nextId('hash_'), expiresAt: clock.now() - 1 };
      const lapsed = await withKey(fixture, account.id, { previous: lapsedPair });
      expect(await store.findKeyBySecretHash(lapsedPair.secretHash)).toEqual({ key: lapsed, pair: 'previous' });
      // A previous id or hash cannot be given to another key.
      for (const taken of [{ previous: { ...previous, secretHash: nextId('hash_') } }, { previous: { ...previous, applicationId: nextId('app_sbx_') } }]) {
        const clash = keyRecord(account.id, 'sandbox', clock.now(), taken);
        await expect(store.insertKey(clash, { perEnvironment: 10 }, operation('key.created', account.id, 1, clash))).rejects.toThrow();
        expect(await store.getKey(account.id, clash.id)).toBeNull();
      }
    });

    it('sets, touches and clears the previous pair through updates; a cleared pair finds nothing', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const key = await withKey(fixture, account.id);
      const at = clock.now();
      // A regenerate with overlap: the current pair becomes the previous one.
      const previous = { applicationId: key.applicationId, secretHash: key.secretHash!, secretHint: key.secretHint!, expiresAt: at + 60_000, lastUsedAt: null };
      const roll = {
        applicationId: nextId('app_sbx_'),
        secretHash: nextId('hash_'),
        secretHint: 'zzzz',
        previous,
        requireDpop: true,
        rateLimit: { requests: 3, windowSeconds: 10 },
        updatedAt: at + 1,
      };
      const rolled = { ...key, ...roll };
      expect(await store.updateKey(account.id, key.id, roll, operation('key.regenerated', account.id, roll.updatedAt, key))).toEqual(ok(rolled));
      expect(await store.findKeyByApplicationId(key.applicationId)).toEqual({ key: rolled, pair: 'previous' });
      expect(await store.findKeyBySecretHash(roll.secretHash)).toEqual({ key: rolled, pair: 'current' });

      // Each pair's use is recorded apart, never audited.
      await store.touchKey(key.id, at + 5, 'previous');
      await store.touchKey(key.id, at + 6);
      const touched = { ...rolled, lastUsedAt: at + 6, previous: { ...previous, lastUsedAt: at + 5 } };
      expect(await store.getKey(account.id, key.id)).toEqual(touched);

      const retire = { previous: null, rateLimit: null, updatedAt: at + 10 };
      expect(await store.updateKey(account.id, key.id, retire, operation('key.previous_retired', account.id, retire.updatedAt, key))).toEqual(
        ok({ ...touched, ...retire }),
      );
      expect(await store.findKeyByApplicationId(key.applicationId)).toBeNull();
      expect(await store.findKeyBySecretHash(key.secretHash!)).toBeNull();
      // Touching a previous pair that is gone changes nothing.
      await store.touchKey(key.id, at + 20, 'previous');
      expect(await store.getKey(account.id, key.id)).toEqual({ ...touched, ...retire });
      expect(await actions(store, account.id)).toEqual([
        `key.previous_retired ${key.id}`,
        `key.regenerated ${key.id}`,
        `key.created ${key.id}`,
        'account.created -',
      ]);
    });

    it('gives a name to one key per account and environment, even under concurrent creates', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const stores = [store, ...(fixture.sibling ? [fixture.sibling()] : [])];
      const account = await withAccount(fixture);
      const keys = Array.from({ length: 10 }, () => keyRecord(account.id, 'sandbox', clock.now(), { name: 'checkout' }));
      const results = await Promise.all(
        keys.map((key, index) =>
          stores[index % stores.length]!.insertKey(key, { perEnvironment: 20 }, operation('key.created', account.id, key.createdAt, key)),
        ),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok)).toEqual(Array(9).fill(fail('name_taken')));
      const winner = keys[results.findIndex((result) => result.ok)]!;
      expect((await store.listKeys(account.id, { limit: 100 })).items.map((key) => key.id)).toEqual([winner.id]);
      expect(await actions(store, account.id)).toEqual([`key.created ${winner.id}`, 'account.created -']);

      // The same name in the other environment, or in another account, is free.
      const production = keyRecord(account.id, 'production', clock.now(), { name: 'checkout' });
      expect(await store.insertKey(production, { perEnvironment: 20 }, operation('key.created', account.id, 1, production))).toEqual(ok(undefined));
      const other = await withAccount(fixture);
      const elsewhere = keyRecord(other.id, 'sandbox', clock.now(), { name: 'checkout' });
      expect(await store.insertKey(elsewhere, { perEnvironment: 20 }, operation('key.created', other.id, 1, elsewhere))).toEqual(ok(undefined));
    });

    it('refuses a rename onto another key’s name, changing and recording nothing', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const first = await withKey(fixture, account.id, { name: 'first' });
      const second = await withKey(fixture, account.id, { name: 'second' });
      const rename = (name: string, at: number) =>
        store.updateKey(account.id, second.id, { name, scopes: ['x'], updatedAt: at }, operation('key.updated', account.id, at, second));
      expect(await rename('first', clock.now() + 1)).toEqual(fail('name_taken'));
      expect(await store.getKey(account.id, second.id)).toEqual(second);
      // Keeping its own name, or taking a free one, is fine.
      expect(await rename('second', clock.now() + 2)).toEqual(ok({ ...second, name: 'second', scopes: ['x'], updatedAt: clock.now() + 2 }));
      expect(await rename('third', clock.now() + 3)).toEqual(ok({ ...second, name: 'third', scopes: ['x'], updatedAt: clock.now() + 3 }));
      // The freed name can be taken again.
      expect(await store.updateKey(account.id, first.id, { name: 'second', updatedAt: clock.now() + 4 }, operation('key.updated', account.id, 1, first))).toMatchObject({ ok: true });
      expect(await actions(store, account.id)).toEqual([
        `key.updated ${first.id}`,
        `key.updated ${second.id}`,
        `key.updated ${second.id}`,
        `key.created ${second.id}`,
        `key.created ${first.id}`,
        'account.created -',
      ]);
    });

    it('holds a per-account cap across both environments under concurrent creates, and says which limit refused', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const stores = [store, ...(fixture.sibling ? [fixture.sibling()] : [])];
      const account = await withAccount(fixture);
      const limits = { perEnvironment: 4, perAccount: 5 };
      const keys = Array.from({ length: 12 }, (_, index) => keyRecord(account.id, index % 2 ? 'production' : 'sandbox', clock.now()));
      const results = await Promise.all(
        keys.map((key, index) => stores[index % stores.length]!.insertKey(key, limits, operation('key.created', account.id, key.createdAt, key))),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(5);
      const created = keys.filter((_, index) => results[index]!.ok);
      // Each environment stayed within its own limit too.
      for (const environment of ['sandbox', 'production'] as const) {
        expect(created.filter((key) => key.environment === environment).length).toBeLessThanOrEqual(4);
      }
      for (const result of results) if (!result.ok) expect(['limit_exceeded', 'account_limit_exceeded']).toContain(result.reason);
      expect((await store.listKeys(account.id, { limit: 100 })).items.map((key) => key.id).sort()).toEqual(created.map((key) => key.id).sort());
      expect((await actions(store, account.id)).filter((entry) => entry.startsWith('key.created'))).toHaveLength(5);

      // With the account full, the reason is the account's cap; an environment at its own limit says so first.
      const more = keyRecord(account.id, 'sandbox', clock.now());
      expect(await store.insertKey(more, { perEnvironment: 10, perAccount: 5 }, operation('key.created', account.id, 1, more))).toEqual(
        fail('account_limit_exceeded'),
      );
      const full = created.filter((key) => key.environment === 'sandbox').length;
      expect(await store.insertKey(more, { perEnvironment: full, perAccount: 5 }, operation('key.created', account.id, 1, more))).toEqual(
        fail('limit_exceeded'),
      );
      // A taken name under a limit reports the limit; under the limits, the name.
      const named = keyRecord(account.id, 'sandbox', clock.now(), { name: created[0]!.name, environment: created[0]!.environment });
      expect(await store.insertKey(named, { perEnvironment: 10, perAccount: 10 }, operation('key.created', account.id, 1, named))).toEqual(
        fail('name_taken'),
      );
      expect(await store.getKey(account.id, more.id)).toBeNull();
      expect((await actions(store, account.id)).filter((entry) => entry.startsWith('key.created'))).toHaveLength(5);
    });

    it('lists accounts in id order, page by page, each exactly once', async () => {
      const fixture = await open();
      const { store } = fixture;
      const mine = [await withAccount(fixture), await withAccount(fixture), await withAccount(fixture)];
      // Other tests may share the database: look at this test's accounts within the whole listing.
      const listed = await allPages((after) => store.listAccounts({ after, limit: 2 }));
      const ids = listed.items.map((account) => account.id);
      expect(ids).toEqual([...ids].sort());
      expect(new Set(ids).size).toBe(ids.length);
      expect(listed.items.filter((account) => mine.some((own) => own.id === account.id))).toEqual(mine);
      expect(listed.pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
      expect(await store.listAccounts({ after: mine[0]!.id, limit: 1 })).toEqual({ items: [mine[1]], next: mine[1]!.id });
    });

    it("lists, touches and revokes an account's admin tokens; a revoke is audited once", async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const stranger = await withAccount(fixture);
      const token = (name: string) => ({
        id: nextId('adm_'),
        accountId: account.id,
        name,
        role: 'manager' as const,
        tokenHash: nextId('hash_'),
        createdAt: clock.now(),
        lastUsedAt: null,
      });
      const [first, second] = [token('ci'), token('ops')];
      for (const each of [first, second]) await store.createAdminToken(each, operation('admin_token.created', account.id, each.createdAt));
      expect(await store.listAdminTokens(account.id)).toEqual([first, second]);
      expect(await store.listAdminTokens(stranger.id)).toEqual([]);

      await store.touchAdminToken(first.id, clock.now() + 60_000);
      const touched = { ...first, lastUsedAt: clock.now() + 60_000 };
      expect(await store.findAdminTokenByHash(first.tokenHash)).toEqual(touched);

      // Another account cannot revoke it.
      expect(await store.deleteAdminToken(stranger.id, first.id, operation('admin_token.revoked', stranger.id, 1))).toBe(false);
      expect(await store.deleteAdminToken(account.id, first.id, operation('admin_token.revoked', account.id, clock.now()))).toBe(true);
      expect(await store.deleteAdminToken(account.id, first.id, operation('admin_token.revoked', account.id, clock.now()))).toBe(false);
      expect(await store.findAdminTokenByHash(first.tokenHash)).toBeNull();
      expect(await store.listAdminTokens(account.id)).toEqual([second]);
      expect(await actions(store, account.id)).toEqual(['admin_token.revoked -', 'admin_token.created -', 'admin_token.created -', 'account.created -']);
      expect(await actions(store, stranger.id)).toEqual(['account.created -']);
    });

    it('raises StoreUnavailableError naming the store from every operation while its backend is down', async (context) => {
      const fixture = await open();
      if (!fixture.outage) return context.skip('this backend cannot be made unavailable');
      const { store, clock, outage } = fixture;
      const account = await withAccount(fixture);
      const key = await withKey(fixture, account.id);
      await outage.begin();

      const unavailable = (work: Promise<unknown>) => expectUnavailable(work, outage.store);
      const other = { id: nextId('acct_'), name: 'B', createdAt: clock.now() };
      await unavailable(store.createAccount(other, operation('account.created', other.id, other.createdAt)));
      await unavailable(store.getAccount(account.id));
      await unavailable(store.listAccounts({ limit: 10 }));
      const token = { id: nextId('adm_'), accountId: account.id, name: 'x', role: 'manager' as const, tokenHash: nextId('hash_'), createdAt: 1, lastUsedAt: null };
      await unavailable(store.createAdminToken(token, operation('admin_token.created', account.id, 1)));
      await unavailable(store.findAdminTokenByHash(token.tokenHash));
      await unavailable(store.listAdminTokens(account.id));
      await unavailable(store.deleteAdminToken(account.id, token.id, operation('admin_token.revoked', account.id, 1)));
      await unavailable(store.touchAdminToken(token.id, 1));
      const next = keyRecord(account.id, 'sandbox', clock.now());
      await unavailable(store.insertKey(next, { perEnvironment: 3 }, operation('key.created', account.id, 1, next)));
      await unavailable(store.getKey(account.id, key.id));
      await unavailable(store.findKeyByApplicationId(key.applicationId));
      await unavailable(store.findKeyBySecretHash(key.secretHash!));
      await unavailable(store.listKeys(account.id, { limit: 10 }));
      await unavailable(store.updateKey(account.id, key.id, { name: 'x', updatedAt: 1 }, operation('key.updated', account.id, 1, key)));
      await unavailable(store.deleteKey(account.id, key.id, operation('key.deleted', account.id, 1, key)));
      await unavailable(store.touchKey(key.id, 1));
      await unavailable(store.recordOperation(operation('key.sessions_revoked', account.id, 1, key)));
      await unavailable(store.listOperations(account.id, { limit: 10 }));
    });
  });
}
