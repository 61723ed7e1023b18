// The KeyStore contract: accounts, admin tokens, keys under the per-environment limit, the audit log, cursors, outages.
import { describe, expect, it } from 'vitest';
import type { Environment } from '../../shared/domain.js';
import type { AccountRecord, KeyRecord, KeyStore, OperationAction, OperationRecord, Page } from '../key-store.js';
import { StoreUnavailableError } from '../store-errors.js';
import { expectUnavailable, nextId, openFixtures, type StoreFixture } from './fixtures.js';

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
      expect(await fixture.store.insertKey(key, 10, operation('key.created', accountId, key.createdAt, key))).toBe(true);
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
      expect(await store.insertKey(key, 3, operation('key.created', account.id, key.createdAt, key))).toBe(true);

      expect(await store.getKey(account.id, key.id)).toEqual(key);
      expect(await store.findKeyByApplicationId(key.applicationId)).toEqual(key);
      expect(await store.findKeyBySecretHash(key.secretHash)).toEqual(key);
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
          stores[index % stores.length]!.insertKey(key, 3, operation('key.created', account.id, key.createdAt, key)),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(3);
      const created = keys.filter((_, index) => results[index]).map((key) => key.id);
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
      const insert = (key: KeyRecord) => store.insertKey(key, 2, operation('key.created', key.accountId, key.createdAt, key));
      expect(await insert(keyRecord(account.id, 'sandbox', clock.now()))).toBe(true);
      expect(await insert(keyRecord(account.id, 'sandbox', clock.now()))).toBe(true);
      expect(await insert(keyRecord(account.id, 'sandbox', clock.now()))).toBe(false);
      expect(await insert(keyRecord(account.id, 'production', clock.now()))).toBe(true);
      expect(await insert(keyRecord(other.id, 'sandbox', clock.now()))).toBe(true);
    });

    it('pages keys in id order, each exactly once, with next null on the last page', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const account = await withAccount(fixture);
      const sandbox = Array.from({ length: 7 }, () => keyRecord(account.id, 'sandbox', clock.now()));
      const production = Array.from({ length: 2 }, () => keyRecord(account.id, 'production', clock.now()));
      // Inserted out of order: the listing orders them, not the insertion.
      for (const key of [...production, ...sandbox].reverse()) {
        expect(await store.insertKey(key, 10, operation('key.created', account.id, key.createdAt, key))).toBe(true);
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
      expect(updated).toEqual({ ...key, ...changes });
      expect(await store.getKey(account.id, key.id)).toEqual(updated);
      // The regenerated pair replaces the old one in look-ups.
      expect(await store.findKeyByApplicationId(key.applicationId)).toBeNull();
      expect(await store.findKeyBySecretHash(key.secretHash)).toBeNull();
      expect(await store.findKeyByApplicationId(changes.applicationId)).toEqual(updated);
      expect(await store.findKeyBySecretHash(changes.secretHash)).toEqual(updated);

      const missing = { id: nextId('key_'), environment: 'sandbox' as const };
      expect(await store.updateKey(account.id, missing.id, { name: 'x', updatedAt: 1 }, operation('key.updated', account.id, 1, missing))).toBeNull();
      expect(await store.updateKey(stranger.id, key.id, { name: 'x', updatedAt: 1 }, operation('key.updated', stranger.id, 1, key))).toBeNull();
      expect(await store.getKey(account.id, key.id)).toEqual(updated);
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
      expect(await store.findKeyBySecretHash(key.secretHash)).toBeNull();
      expect((await store.listKeys(account.id, { limit: 10 })).items).toEqual([]);
      expect(await store.deleteKey(account.id, key.id, operation('key.deleted', account.id, clock.now(), key))).toBe(false);

      expect(await actions(store, account.id)).toEqual([`key.deleted ${key.id}`, `key.created ${key.id}`, 'account.created -']);
      expect(await actions(store, stranger.id)).toEqual(['account.created -']);
      // The freed place counts again under the limit.
      const next = keyRecord(account.id, 'sandbox', clock.now());
      expect(await store.insertKey(next, 1, operation('key.created', account.id, next.createdAt, next))).toBe(true);
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
        const error: unknown = await store.insertKey(clash, 10, operation('key.created', account.id, 1, clash)).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(StoreUnavailableError);
        expect(await store.getKey(account.id, clash.id)).toBeNull();
      }
      expect(await actions(store, account.id)).toEqual([`key.created ${key.id}`, 'account.created -']);
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
      const token = { id: nextId('adm_'), accountId: account.id, name: 'x', role: 'manager' as const, tokenHash: nextId('hash_'), createdAt: 1 };
      await unavailable(store.createAdminToken(token, operation('admin_token.created', account.id, 1)));
      await unavailable(store.findAdminTokenByHash(token.tokenHash));
      const next = keyRecord(account.id, 'sandbox', clock.now());
      await unavailable(store.insertKey(next, 3, operation('key.created', account.id, 1, next)));
      await unavailable(store.getKey(account.id, key.id));
      await unavailable(store.findKeyByApplicationId(key.applicationId));
      await unavailable(store.findKeyBySecretHash(key.secretHash));
      await unavailable(store.listKeys(account.id, { limit: 10 }));
      await unavailable(store.updateKey(account.id, key.id, { name: 'x', updatedAt: 1 }, operation('key.updated', account.id, 1, key)));
      await unavailable(store.deleteKey(account.id, key.id, operation('key.deleted', account.id, 1, key)));
      await unavailable(store.touchKey(key.id, 1));
      await unavailable(store.recordOperation(operation('key.sessions_revoked', account.id, 1, key)));
      await unavailable(store.listOperations(account.id, { limit: 10 }));
    });
  });
}
