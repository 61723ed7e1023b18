// The migration that makes key names unique per account and environment, on a database that already holds
// duplicates (allowed before it): later duplicates are renamed `name (key_…)`, then the unique index holds.
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../src/adapters/node/sqlite-database.js';
import { PG_MIGRATIONS_FOLDER } from '../src/adapters/postgres/postgres-database.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A copy of `folder` whose journal stops before the migration tagged `beforeTag`. */
function migrationsBefore(folder: string, beforeTag: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'keymint-migrations-'));
  directories.push(copy);
  cpSync(folder, copy, { recursive: true });
  const journalPath = join(copy, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const index = journal.entries.findIndex((entry) => entry.tag === beforeTag);
  expect(index).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, index);
  writeFileSync(journalPath, JSON.stringify(journal));
  return copy;
}

// Keys as the older schema holds them: three share a name in one account and environment, one repeats it in the
// other environment and one in another account (those two stay as they are).
const KEYS = [
  { id: 'key_0001', account: 'acct_a', environment: 'sandbox', name: 'checkout' },
  { id: 'key_0002', account: 'acct_a', environment: 'sandbox', name: 'checkout' },
  { id: 'key_0003', account: 'acct_a', environment: 'production', name: 'checkout' },
  { id: 'key_0004', account: 'acct_b', environment: 'sandbox', name: 'checkout' },
  { id: 'key_0005', account: 'acct_a', environment: 'sandbox', name: 'checkout' },
  { id: 'key_0006', account: 'acct_a', environment: 'sandbox', name: 'billing' },
];

const EXPECTED_NAMES = [
  ['key_0001', 'checkout'],
  ['key_0002', 'checkout (key_0002)'],
  ['key_0003', 'checkout'],
  ['key_0004', 'checkout'],
  ['key_0005', 'checkout (key_0005)'],
  ['key_0006', 'billing'],
];

function keyValues(key: (typeof KEYS)[number]): unknown[] {
  return [key.id, key.account, key.environment, key.name, `app_${key.id}`, `hash_${key.id}`, 'abcd', '[]', 'active', 1, 1];
}

const INSERT_KEY = `insert into api_keys (id, account_id, environment, name, application_id, secret_hash, secret_hint, scopes, status, created_at, updated_at)`;

describe('the unique key-name migration', () => {
  it('renames later duplicates on SQLite, keeps the rest, and then refuses a duplicate', () => {
    const directory = mkdtempSync(join(tmpdir(), 'keymint-name-migration-'));
    directories.push(directory);
    const sqlite = new Database(join(directory, 'keymint.db'));
    try {
      const db = drizzleSqlite(sqlite);
      migrateSqlite(db, { migrationsFolder: migrationsBefore(MIGRATIONS_FOLDER, '0002_key_lifecycle_webhooks') });
      for (const account of ['acct_a', 'acct_b']) sqlite.prepare('insert into accounts (id, name, created_at) values (?, ?, 1)').run(account, account);
      const insert = sqlite.prepare(`${INSERT_KEY} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const key of KEYS) insert.run(...keyValues(key));

      migrateSqlite(db, { migrationsFolder: MIGRATIONS_FOLDER });
      const rows = sqlite.prepare('select id, name, auth_method, require_dpop, previous_application_id from api_keys order by id').all();
      expect(rows.map((row) => Object.values(row as object).slice(0, 2))).toEqual(EXPECTED_NAMES);
      // The existing keys are secret keys with no DPoP requirement and no previous pair.
      expect(new Set(rows.map((row) => JSON.stringify(Object.values(row as object).slice(2))))).toEqual(new Set(['["client_secret",0,null]']));
      expect(() => insert.run(...keyValues({ id: 'key_0007', account: 'acct_a', environment: 'sandbox', name: 'billing' }))).toThrow(/UNIQUE/);
    } finally {
      sqlite.close();
    }
  });

  it.skipIf(!postgresUrl())('renames later duplicates on PostgreSQL, keeps the rest, and then refuses a duplicate', async () => {
    const client = postgres(await createTestDatabase(), { max: 1, onnotice: () => {} });
    try {
      const db = drizzlePg(client);
      await migratePg(db, { migrationsFolder: migrationsBefore(PG_MIGRATIONS_FOLDER, '0001_key_lifecycle_webhooks') });
      for (const account of ['acct_a', 'acct_b']) await client`insert into accounts (id, name, created_at) values (${account}, ${account}, 1)`;
      const insert = (key: (typeof KEYS)[number]) =>
        client.unsafe(`${INSERT_KEY} values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, keyValues(key) as string[]);
      for (const key of KEYS) await insert(key);

      await migratePg(db, { migrationsFolder: PG_MIGRATIONS_FOLDER });
      const rows = await client<Array<{ id: string; name: string }>>`select id, name from api_keys order by id`;
      expect(rows.map((row) => [row.id, row.name])).toEqual(EXPECTED_NAMES);
      const defaults = await client`select distinct auth_method, require_dpop, previous_application_id from api_keys`;
      expect(defaults.map((row) => ({ ...row }))).toEqual([{ auth_method: 'client_secret', require_dpop: '0', previous_application_id: null }]);
      await expect(insert({ id: 'key_0007', account: 'acct_a', environment: 'sandbox', name: 'billing' })).rejects.toThrow(/api_keys_name/);
    } finally {
      await client.end({ timeout: 5 });
    }
  });
});
