// Opens the embedded SQLite database (better-sqlite3), applies db/migrations, and runs atomic batches.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { SQLWrapper } from 'drizzle-orm';
import * as schema from '../../../db/schema.js';
import { errorChain, type SqlExecutor, type SqliteDatabase } from '../sql/sql-store.js';

/**
 * db/migrations, found from this module upwards: three levels up from src/adapters/node (tsx), from
 * dist/src/adapters/node (tsc, which copies it to dist/db), or beside the bundle npm start runs (dist/server).
 */
export const MIGRATIONS_FOLDER = findMigrations(dirname(fileURLToPath(import.meta.url)));

function findMigrations(from: string): string {
  for (let dir = from, level = 0; level < 4; dir = dirname(dir), level++) {
    const candidate = join(dir, 'db', 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
  }
  throw new Error(`db/migrations not found above ${from}`);
}

export interface SqliteHandle extends SqlExecutor {
  close(): void;
  ping(): void;
}

// SQLite result codes (primary, so extended ones such as SQLITE_IOERR_WRITE match too) that mean the
// database cannot be used right now — locked by another process past the busy timeout, a failing disk, a
// full disk, a file that cannot be opened — rather than that the statement was wrong.
const OUTAGE_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM'];

/** Whether better-sqlite3 (or drizzle around it) failed because the database is unusable, not the statement. */
export function isSqliteOutage(error: unknown): boolean {
  return errorChain(error).some((link) => {
    if (!(link instanceof Error)) return false;
    // better-sqlite3 throws a TypeError for any use of a closed connection.
    if (link instanceof TypeError) return link.message === 'The database connection is not open';
    const code = (link as { code?: unknown }).code;
    return link.name === 'SqliteError' && typeof code === 'string' && OUTAGE_CODES.some((outage) => code === outage || code.startsWith(`${outage}_`));
  });
}

export function openSqliteDatabase(path: string, options: { busyTimeoutMs?: number } = {}): SqliteHandle {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  // WAL lets readers go on during a write; the busy timeout makes a second process wait instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const runAll = sqlite.transaction((statements: SQLWrapper[]) =>
    statements.map((statement) => db.run(statement.getSQL()).changes),
  );
  const prepared = new Map<string, Database.Statement>();
  return {
    db: db as unknown as SqliteDatabase,
    store: 'sqlite',
    isOutage: isSqliteOutage,
    atomic: async (statements) => runAll.immediate(statements),
    async first(query, params) {
      let statement = prepared.get(query);
      if (!statement) prepared.set(query, (statement = sqlite.prepare(query)));
      return statement.get(...params) as Record<string, unknown> | undefined;
    },
    close: () => sqlite.close(),
    ping: () => void sqlite.prepare('select 1').get(),
  };
}
