// Opens the embedded SQLite database (better-sqlite3), applies db/migrations, and runs atomic batches.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { SQLWrapper } from 'drizzle-orm';
import * as schema from '../../../db/schema.js';
import type { SqlExecutor, SqliteDatabase } from '../sql/sql-store.js';
import { findMigrationsFolder } from './migrations-folder.js';

/** db/migrations (SQLite's), found from this module upwards. */
export const MIGRATIONS_FOLDER = findMigrationsFolder('migrations', dirname(fileURLToPath(import.meta.url)));

export interface SqliteHandle extends SqlExecutor {
  close(): void;
  ping(): void;
}

export function openSqliteDatabase(path: string): SqliteHandle {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  // WAL lets readers go on during a write; the busy timeout makes a second process wait instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
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
