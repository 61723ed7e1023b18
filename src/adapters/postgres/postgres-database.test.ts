// PostgreSQL start-up and outages: migrations run once however many nodes start together, and a database out
// of reach surfaces as StoreUnavailableError (then recovers without a restart).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresUrl } from '../../../test/support/postgres.js';
import { freePort } from '../../../test/support/redis-server.js';
import { PgKeyStore } from './pg-key-store.js';
import { migratePostgres, openPostgresDatabase, PG_MIGRATIONS_FOLDER, type PostgresHandle } from './postgres-database.js';
import { StoreUnavailableError } from '../../ports/store-errors.js';

const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
  entries: { tag: string }[];
};

describe.skipIf(!postgresUrl())('PostgreSQL migrations', () => {
  it('run once when ten nodes start at once on an empty database', async () => {
    const url = await createTestDatabase();
    const results = await Promise.all(Array.from({ length: 10 }, () => migratePostgres(url)));

    // Every node succeeded; exactly one applied the migrations, the others found nothing to do.
    const total = journal.entries.length;
    expect(results.map((result) => result.total)).toEqual(Array(10).fill(total));
    expect(results.map((result) => result.applied).sort()).toEqual([...Array(9).fill(0), total]);

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<{ name: string }[]>`
        select table_name as name from information_schema.tables where table_schema = 'public' order by 1`;
      expect(tables.map((row) => row.name)).toEqual(['accounts', 'admin_tokens', 'api_keys', 'operations', 'signing_keys', 'webhook_deliveries', 'webhooks']);
      const applied = await sql<{ hash: string; count: string }[]>`
        select hash, count(*) as count from drizzle.__drizzle_migrations group by hash`;
      expect(applied).toHaveLength(total);
      expect(applied.every((row) => row.count === '1')).toBe(true);
    } finally {
      await sql.end();
    }
  });

  it('leave an up-to-date database as it is', async () => {
    const url = await createTestDatabase();
    expect(await migratePostgres(url)).toEqual({ applied: journal.entries.length, total: journal.entries.length });
    expect(await migratePostgres(url)).toEqual({ applied: 0, total: journal.entries.length });
  });
});

describe.skipIf(!postgresUrl())('PostgreSQL out of reach', () => {
  const handles: PostgresHandle[] = [];
  afterAll(async () => {
    for (const handle of handles) await handle.close();
  });

  it('refuses to start with StoreUnavailableError, naming no password', async () => {
    const url = `postgres://keymint:s3cret-password@127.0.0.1:${await freePort()}/keymint`;
    const failure = await openPostgresDatabase(url).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
    expect((failure as Error).message).not.toContain('s3cret');
  });

  it('fails a query whose connection is terminated, then serves again from the same pool', async () => {
    const url = await createTestDatabase();
    const handle = await openPostgresDatabase(url, { pool: 2 });
    handles.push(handle);
    const store = new PgKeyStore(handle.db);
    await handle.ping();
    // Two connections: one holds a lock, the other cuts the store's connections.
    const admin = postgres(url, { max: 2, onnotice: () => {} });
    try {
      // Hold a lock the store's next read waits for, then terminate the store's connections while it waits.
      let release!: () => void;
      let locked!: () => void;
      const lockHeld = new Promise<void>((resolve) => (locked = resolve));
      const blocker = admin.begin(async (tx) => {
        await tx`lock table accounts in access exclusive mode`;
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await lockHeld;
      const read = store.getAccount('acct_missing');
      read.catch(() => {});
      const waiting = () => admin`select pid from pg_stat_activity
        where datname = current_database() and application_name = 'keymint' and wait_event_type = 'Lock'`;
      while ((await waiting()).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await admin`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and application_name = 'keymint'`;
      release();
      await expect(read).rejects.toBeInstanceOf(StoreUnavailableError);
      await blocker;

      // No restart: the pool opens a new connection for the next call.
      expect(await store.getAccount('acct_missing')).toBeNull();
      await handle.ping();
    } finally {
      await admin.end();
    }
  });
});
