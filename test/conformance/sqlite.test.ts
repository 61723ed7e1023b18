// The SQLite stores (better-sqlite3, real files) against the KeyStore, SigningKeyStore and WebhookStore contracts, and the
// faults only SQLite has: another process holding the write lock past the busy timeout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteHandle } from '../../src/adapters/node/sqlite-database.js';
import { SqlSigningKeyStore } from '../../src/adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore, type SqlExecutor } from '../../src/adapters/sql/sql-store.js';
import { SqlWebhookStore } from '../../src/adapters/sql/sql-webhook-store.js';
import { controlledClock, expectUnavailable, nextId } from '../../src/ports/testing/fixtures.js';
import { describeKeyStoreContract } from '../../src/ports/testing/key-store.suite.js';
import { describeSigningKeyStoreContract } from '../../src/ports/testing/signing-key-store.suite.js';
import { describeWebhookStoreContract } from '../../src/ports/testing/webhook-store.suite.js';

/**
 * A fresh database file; `build` makes the store over a handle. Siblings open the same file through
 * connections of their own, as other gateway processes do. The outage closes the store's connection.
 */
function sqliteFixture<Store>(build: (handle: SqlExecutor) => Store) {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-conformance-'));
  const path = join(directory, 'keymint.db');
  const handles: SqliteHandle[] = [openSqliteDatabase(path)];
  return {
    store: build(handles[0]!),
    clock: controlledClock(),
    sibling() {
      const handle = openSqliteDatabase(path);
      handles.push(handle);
      return build(handle);
    },
    outage: { store: 'sqlite' as const, begin: () => handles[0]!.close() },
    dispose() {
      for (const handle of handles) handle.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

describeKeyStoreContract('SqlKeyStore on SQLite', () => sqliteFixture((handle) => new SqlKeyStore(handle)));
describeSigningKeyStoreContract('SqlSigningKeyStore on SQLite', () => sqliteFixture((handle) => new SqlSigningKeyStore(handle)));
describeWebhookStoreContract('SqlWebhookStore on SQLite', () =>
  sqliteFixture((handle) => ({ webhooks: new SqlWebhookStore(handle), keys: new SqlKeyStore(handle) })),
);

describe('SQLite faults', () => {
  let directory: string;
  const opened: { close(): unknown }[] = [];
  afterEach(() => {
    for (const handle of opened.splice(0)) handle.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('raises StoreUnavailableError when another connection holds the write lock past the busy timeout; reads go on', async () => {
    directory = mkdtempSync(join(tmpdir(), 'keymint-conformance-'));
    const path = join(directory, 'keymint.db');
    const handle = openSqliteDatabase(path, { busyTimeoutMs: 50 });
    opened.push(handle);
    const keys = new SqlKeyStore(handle);
    const signingKeys = new SqlSigningKeyStore(handle);
    const operation = (accountId: string) => ({ id: nextId('op_'), accountId, environment: null, keyId: null, action: 'account.created' as const, actor: 'root', at: 1 });
    const existing = { id: nextId('acct_'), name: 'A', createdAt: 1 };
    await keys.createAccount(existing, operation(existing.id));

    // Another process (a second connection) in the middle of a write transaction.
    const other = new Database(path);
    opened.push(other);
    other.exec('BEGIN IMMEDIATE');
    const blocked = { id: nextId('acct_'), name: 'B', createdAt: 1 };
    await expectUnavailable(keys.createAccount(blocked, operation(blocked.id)), 'sqlite');
    await expectUnavailable(signingKeys.deleteUnpublishedSigningKeys('sandbox', 1), 'sqlite');
    // WAL: readers are not blocked by the writer.
    expect(await keys.getAccount(existing.id)).toEqual(existing);

    other.exec('ROLLBACK');
    await keys.createAccount(blocked, operation(blocked.id));
    expect(await keys.getAccount(blocked.id)).toEqual(blocked);
  });
});
