// Opens PostgreSQL through postgres.js and drizzle, and applies db/pg-migrations under an advisory lock.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres, { type Sql } from 'postgres';
import * as schema from '../../../db/pg/schema.js';
import { findMigrationsFolder } from '../node/migrations-folder.js';
import { reachPostgres } from './postgres-unavailable.js';

/** db/pg-migrations, found from this module upwards. */
export const PG_MIGRATIONS_FOLDER = findMigrationsFolder('pg-migrations', dirname(fileURLToPath(import.meta.url)));

export type PgDatabase = PostgresJsDatabase<typeof schema>;

export interface PostgresHandle {
  db: PgDatabase;
  /** Rejects (StoreUnavailableError) when PostgreSQL cannot answer (behind /readyz). */
  ping(): Promise<void>;
  /**
   * Whether PostgreSQL answered a probe (one a second, on a connection of its own) in the last 3 s and no connection
   * of the pool has closed since: false from the moment the server goes away, without waiting for a query to fail.
   */
  reachable(): boolean;
  close(): Promise<void>;
}

// How often the pool is probed, and how old the last answer may be while PostgreSQL counts as reachable.
const PROBE_EVERY_MS = 1_000;
const PROBE_FRESH_MS = 3_000;

function connect(url: string, max: number, onclose?: () => void): Sql {
  return postgres(url, {
    max,
    ...(onclose && { onclose }),
    // Fail a request within seconds, not the driver's 30, when the server cannot be reached at all.
    connect_timeout: 5,
    // NOTICEs such as "schema drizzle already exists, skipping" are not worth a line on stderr.
    onnotice: () => {},
    connection: { application_name: 'keymint' },
  });
}

/** A pool of `pool` connections (KEYMINT_DATABASE_POOL); migrates first unless `migrate` is false. */
export async function openPostgresDatabase(url: string, options: { pool?: number; migrate?: boolean } = {}): Promise<PostgresHandle> {
  if (options.migrate ?? true) await migratePostgres(url);
  let answeredAt = 0;
  let closedAt = 0;
  const client = connect(url, options.pool ?? 10, () => void (closedAt = Date.now()));
  // The probe has a connection of its own, so it never hands the pool a connection it saw die, and one probe at a
  // time: while PostgreSQL does not answer, probes do not queue up behind the one waiting.
  const prober = connect(url, 1);
  let probing = false;
  const probe = () => {
    if (probing) return;
    probing = true;
    const sentAt = Date.now();
    prober`select 1`
      .then(
        () => void (answeredAt = Math.max(answeredAt, sentAt)),
        () => undefined,
      )
      .finally(() => (probing = false));
  };
  probe();
  const probes = setInterval(probe, PROBE_EVERY_MS);
  probes.unref();
  return {
    db: drizzle(client, { schema }),
    ping: () => reachPostgres(async () => void (await client`select 1`)),
    reachable: () => answeredAt > closedAt && Date.now() - answeredAt < PROBE_FRESH_MS,
    close: async () => {
      clearInterval(probes);
      await Promise.all([client.end({ timeout: 5 }), prober.end({ timeout: 5 })]);
    },
  };
}

// One lock for every keymint schema change in the database, whatever node or CLI asks.
const MIGRATION_LOCK = sql`hashtextextended('keymint.migrations', 0)`;

/**
 * Applies the migrations not yet applied, and says how many that was. Holds a session advisory lock over the
 * whole run, so nodes starting at once migrate one after another (the others then find nothing to do);
 * the lock goes with the session if the process dies.
 */
export async function migratePostgres(url: string): Promise<{ applied: number; total: number }> {
  // One connection: the lock belongs to a session, and drizzle's migrator must run in that same session.
  const client = connect(url, 1);
  const db = drizzle(client);
  try {
    return await reachPostgres(async () => {
      await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK})`);
      try {
        const before = await countAppliedMigrations(db);
        await migrate(db, { migrationsFolder: PG_MIGRATIONS_FOLDER });
        const total = await countAppliedMigrations(db);
        return { applied: total - before, total };
      } finally {
        // Ending the session below releases the lock anyway; this only frees it sooner.
        await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK})`).catch(() => {});
      }
    });
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** Rows in drizzle's journal (drizzle.__drizzle_migrations); 0 before the first migration. */
async function countAppliedMigrations(db: PostgresJsDatabase): Promise<number> {
  const [journal] = await db.execute<{ exists: boolean }>(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`);
  if (!journal?.exists) return 0;
  const [row] = await db.execute<{ applied: string }>(sql`select count(*) as applied from drizzle.__drizzle_migrations`);
  return Number(row?.applied ?? 0);
}
