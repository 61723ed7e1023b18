// The key stores behave alike on SQLite and PostgreSQL: the same records back, the same order, cursors, nulls,
// limits and audit entries (SPEC §6: "both dialects hold the same tables with the same meaning").
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../src/adapters/node/sqlite-database.js';
import { PgKeyStore } from '../src/adapters/postgres/pg-key-store.js';
import { PgSigningKeyStore } from '../src/adapters/postgres/pg-signing-key-store.js';
import { openPostgresDatabase } from '../src/adapters/postgres/postgres-database.js';
import { SqlSigningKeyStore } from '../src/adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore } from '../src/adapters/sql/sql-store.js';
import type { Environment } from '../src/shared/domain.js';
import type { KeyRecord, KeyStore, OperationAction, OperationRecord } from '../src/ports/key-store.js';
import { SECRET_KEY_DEFAULTS } from '../src/ports/testing/fixtures.js';
import { fail, ok } from '../src/shared/result.js';
import type { SigningKeyRecord, SigningKeyStore } from '../src/ports/signing-key-store.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';

interface Stores {
  keys: KeyStore;
  signing: SigningKeyStore;
  close(): Promise<void>;
}

const backends: { name: string; available: boolean; open(): Promise<Stores> }[] = [
  {
    name: 'SQLite',
    available: true,
    async open() {
      const handle = openSqliteDatabase(':memory:');
      return { keys: new SqlKeyStore(handle), signing: new SqlSigningKeyStore(handle), close: async () => handle.close() };
    },
  },
  {
    name: 'PostgreSQL',
    available: postgresUrl() !== null,
    async open() {
      const handle = await openPostgresDatabase(await createTestDatabase(), { pool: 3 });
      return { keys: new PgKeyStore(handle.db), signing: new PgSigningKeyStore(handle.db), close: handle.close };
    },
  },
];

let sequence = 0;
function operation(accountId: string | null, action: OperationAction, keyId: string | null = null, environment: Environment | null = null): OperationRecord {
  // Ids sort in creation order, as newId's do.
  return { id: `op_${String(++sequence).padStart(8, '0')}`, accountId, environment, keyId, action, actor: 'root', at: 1_700_000_000_000 + sequence };
}

function keyRecord(accountId: string, id: string, overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id,
    accountId,
    environment: 'sandbox',
    name: `key ${id}`,
    applicationId: `app_sbx_${randomUUID()}`,
    secretHash: randomUUID(),
    secretHint: 'wxyz',
    scopes: ['orders:write', 'orders:read'],
    status: 'active',
    expiresAt: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    lastUsedAt: null,
    ...SECRET_KEY_DEFAULTS,
    ...overrides,
  };
}

async function newAccount(store: KeyStore): Promise<string> {
  const id = `acct_${randomUUID()}`;
  await store.createAccount({ id, name: 'Acme', createdAt: 1_700_000_000_000 }, operation(id, 'account.created'));
  return id;
}

function signingKey(environment: Environment, kid: string, createdAt: number): SigningKeyRecord {
  return { kid, environment, alg: 'ES256', publicJwk: `{"kid":"${kid}"}`, privateKey: '{}', status: 'active', createdAt, activatesAt: null, retiredAt: null, publishUntil: null };
}

for (const backend of backends) {
  describe.skipIf(!backend.available)(`the ${backend.name} key store`, () => {
    let stores: Stores;
    beforeAll(async () => void (stores = await backend.open()));
    afterAll(() => stores?.close());

    it('gives back exactly the key it was given, by id, application ID and secret hash', async () => {
      const accountId = await newAccount(stores.keys);
      const key = keyRecord(accountId, 'key_roundtrip', { expiresAt: 4_102_444_800_000, scopes: ['b', 'a', 'c:d'] });
      expect(await stores.keys.insertKey(key, { perEnvironment: 3 }, operation(accountId, 'key.created', key.id, 'sandbox'))).toEqual(ok(undefined));
      expect(await stores.keys.getKey(accountId, key.id)).toEqual(key);
      expect(await stores.keys.findKeyByApplicationId(key.applicationId)).toEqual({ key: key, pair: 'current' });
      expect(await stores.keys.findKeyBySecretHash(key.secretHash!)).toEqual({ key: key, pair: 'current' });
      // Another account's key is not this account's.
      expect(await stores.keys.getKey(`acct_${randomUUID()}`, key.id)).toBeNull();
      expect(await stores.keys.findKeyByApplicationId('app_sbx_missing')).toBeNull();
      expect(await stores.keys.findKeyBySecretHash('missing')).toBeNull();

      await stores.keys.touchKey(key.id, 1_700_000_123_456);
      expect(await stores.keys.getKey(accountId, key.id)).toEqual({ ...key, lastUsedAt: 1_700_000_123_456 });
    });

    it('holds the per-environment limit and audits only the keys it took', async () => {
      const accountId = await newAccount(stores.keys);
      const results: boolean[] = [];
      for (let i = 0; i < 4; i++) {
        const id = `key_limit${i}`;
        results.push((await stores.keys.insertKey(keyRecord(accountId, id), { perEnvironment: 3 }, operation(accountId, 'key.created', id, 'sandbox'))).ok);
      }
      expect(results).toEqual([true, true, true, false]);
      // The other environment has its own limit.
      const production = keyRecord(accountId, 'key_limit_prd', { environment: 'production' });
      expect(await stores.keys.insertKey(production, { perEnvironment: 3 }, operation(accountId, 'key.created', production.id, 'production'))).toEqual(ok(undefined));

      const audit = await stores.keys.listOperations(accountId, { limit: 50 });
      expect(audit.items.filter((entry) => entry.action === 'key.created').map((entry) => entry.keyId).sort()).toEqual(
        ['key_limit0', 'key_limit1', 'key_limit2', 'key_limit_prd'],
      );
    });

    it('writes neither key nor audit entry when the insert fails', async () => {
      const accountId = await newAccount(stores.keys);
      const first = keyRecord(accountId, 'key_dup1');
      await stores.keys.insertKey(first, { perEnvironment: 3 }, operation(accountId, 'key.created', first.id, 'sandbox'));
      const clash = keyRecord(accountId, 'key_dup2', { applicationId: first.applicationId });
      await expect(stores.keys.insertKey(clash, { perEnvironment: 3 }, operation(accountId, 'key.created', clash.id, 'sandbox'))).rejects.toThrow();
      expect(await stores.keys.getKey(accountId, clash.id)).toBeNull();
      const audit = await stores.keys.listOperations(accountId, { limit: 50 });
      expect(audit.items.map((entry) => entry.keyId)).toEqual(['key_dup1', null]);
    });

    it('lists keys in byte order of their ids, page by page, per environment', async () => {
      const accountId = await newAccount(stores.keys);
      // Base62 ids: byte order puts digits, then capitals, then small letters (a locale collation would not).
      const ids = ['key_b', 'key_A', 'key_0', 'key_a', 'key_B'];
      for (const id of ids) await stores.keys.insertKey(keyRecord(accountId, id), { perEnvironment: 10 }, operation(accountId, 'key.created', id, 'sandbox'));
      const other = keyRecord(accountId, 'key_P', { environment: 'production' });
      await stores.keys.insertKey(other, { perEnvironment: 10 }, operation(accountId, 'key.created', other.id, 'production'));

      const first = await stores.keys.listKeys(accountId, { environment: 'sandbox', limit: 2 });
      expect(first.items.map((key) => key.id)).toEqual(['key_0', 'key_A']);
      expect(first.next).toBe('key_A');
      const second = await stores.keys.listKeys(accountId, { environment: 'sandbox', after: first.next!, limit: 2 });
      expect(second.items.map((key) => key.id)).toEqual(['key_B', 'key_a']);
      const last = await stores.keys.listKeys(accountId, { environment: 'sandbox', after: second.next!, limit: 2 });
      expect(last).toEqual({ items: [expect.objectContaining({ id: 'key_b' })], next: null });
      const all = await stores.keys.listKeys(accountId, { limit: 10 });
      expect(all.items.map((key) => key.id)).toEqual(['key_0', 'key_A', 'key_B', 'key_P', 'key_a', 'key_b']);
      expect(all.next).toBeNull();
      // Exactly `limit` left: no further page.
      expect((await stores.keys.listKeys(accountId, { limit: 6 })).next).toBeNull();
    });

    it('updates only what changes, returns the updated key, and audits it', async () => {
      const accountId = await newAccount(stores.keys);
      const key = keyRecord(accountId, 'key_update', { expiresAt: 1_900_000_000_000 });
      await stores.keys.insertKey(key, { perEnvironment: 3 }, operation(accountId, 'key.created', key.id, 'sandbox'));
      const changes = { name: 'renamed', scopes: ['x'], expiresAt: null, updatedAt: 1_700_000_000_999 };
      const updated = await stores.keys.updateKey(accountId, key.id, changes, operation(accountId, 'key.updated', key.id, 'sandbox'));
      expect(updated).toEqual(ok({ ...key, ...changes }));
      expect(ok(await stores.keys.getKey(accountId, key.id))).toEqual(updated);
      const disabled = await stores.keys.updateKey(accountId, key.id, { status: 'disabled', updatedAt: 1_700_000_001_000 }, operation(accountId, 'key.disabled', key.id, 'sandbox'));
      expect(disabled).toEqual(ok({ ...key, ...changes, status: 'disabled', updatedAt: 1_700_000_001_000 }));

      // Someone else's key, or none: null and no audit entry.
      const stranger = await newAccount(stores.keys);
      expect(await stores.keys.updateKey(stranger, key.id, { name: 'x', updatedAt: 1 }, operation(stranger, 'key.updated', key.id, 'sandbox'))).toEqual(fail('not_found'));
      expect(await stores.keys.updateKey(accountId, 'key_missing', { name: 'x', updatedAt: 1 }, operation(accountId, 'key.updated', 'key_missing', 'sandbox'))).toEqual(fail('not_found'));
      expect((await stores.keys.listOperations(stranger, { limit: 10 })).items.map((entry) => entry.action)).toEqual(['account.created']);
      expect((await stores.keys.listOperations(accountId, { limit: 10 })).items.map((entry) => entry.action)).toEqual([
        'key.disabled',
        'key.updated',
        'key.created',
        'account.created',
      ]);
    });

    it('deletes a key once, keeping its audit trail', async () => {
      const accountId = await newAccount(stores.keys);
      const key = keyRecord(accountId, 'key_delete');
      await stores.keys.insertKey(key, { perEnvironment: 3 }, operation(accountId, 'key.created', key.id, 'sandbox'));
      expect(await stores.keys.deleteKey(accountId, key.id, operation(accountId, 'key.deleted', key.id, 'sandbox'))).toBe(true);
      expect(await stores.keys.deleteKey(accountId, key.id, operation(accountId, 'key.deleted', key.id, 'sandbox'))).toBe(false);
      expect(await stores.keys.findKeyByApplicationId(key.applicationId)).toBeNull();
      const audit = await stores.keys.listOperations(accountId, { limit: 10 });
      expect(audit.items.map((entry) => [entry.action, entry.keyId])).toEqual([
        ['key.deleted', key.id],
        ['key.created', key.id],
        ['account.created', null],
      ]);
    });

    it('pages the audit log newest first and keeps every field', async () => {
      const accountId = await newAccount(stores.keys);
      const token = { id: `adm_${randomUUID()}`, accountId, name: 'ci', role: 'viewer' as const, tokenHash: randomUUID(), createdAt: 1_700_000_000_000, lastUsedAt: null };
      const created = operation(accountId, 'admin_token.created');
      await stores.keys.createAdminToken(token, created);
      expect(await stores.keys.findAdminTokenByHash(token.tokenHash)).toEqual(token);
      expect(await stores.keys.findAdminTokenByHash('missing')).toBeNull();
      expect(await stores.keys.getAccount(accountId)).toEqual({ id: accountId, name: 'Acme', createdAt: 1_700_000_000_000 });
      expect(await stores.keys.getAccount('acct_missing')).toBeNull();
      const revoked = operation(accountId, 'key.sessions_revoked', 'key_x', 'production');
      await stores.keys.recordOperation(revoked);

      const first = await stores.keys.listOperations(accountId, { limit: 2 });
      expect(first.items).toEqual([revoked, created]);
      expect(first.next).toBe(created.id);
      const rest = await stores.keys.listOperations(accountId, { after: first.next!, limit: 2 });
      expect(rest.items.map((entry) => entry.action)).toEqual(['account.created']);
      expect(rest.next).toBeNull();
    });

    it('keeps one active signing key per environment and rotates it once', async () => {
      const environment = `env_${randomUUID()}` as Environment;
      const first = signingKey(environment, `kid_${randomUUID()}`, 1_000);
      expect(await stores.signing.insertActiveSigningKey(first)).toBe(true);
      expect(await stores.signing.insertActiveSigningKey(signingKey(environment, `kid_${randomUUID()}`, 1_001))).toBe(false);
      expect(await stores.signing.listSigningKeys(environment)).toEqual([first]);

      const next = signingKey(environment, `kid_${randomUUID()}`, 2_000);
      expect(await stores.signing.rotateSigningKey(first.kid, 2_000, 5_000, next)).toBe(true);
      // A rotation that lost the race (its key is no longer active) changes nothing.
      expect(await stores.signing.rotateSigningKey(first.kid, 2_001, 5_001, signingKey(environment, `kid_${randomUUID()}`, 2_001))).toBe(false);
      const retired = { ...first, status: 'retired' as const, retiredAt: 2_000, publishUntil: 5_000 };
      expect(await stores.signing.listSigningKeys(environment)).toEqual([retired, next]);

      await stores.signing.deleteUnpublishedSigningKeys(environment, 4_999);
      expect(await stores.signing.listSigningKeys(environment)).toEqual([retired, next]);
      await stores.signing.deleteUnpublishedSigningKeys(environment, 5_000);
      expect(await stores.signing.listSigningKeys(environment)).toEqual([next]);
      expect(await stores.signing.listSigningKeys(`env_${randomUUID()}` as Environment)).toEqual([]);
    });
  });
}
