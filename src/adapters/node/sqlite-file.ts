// A SQLite database file as the CLI sees it before any gateway opens it: how far it is migrated, whether it
// already holds hashed secrets, and bringing its schema up to date.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openSqliteDatabase } from './sqlite-database.js';

export interface SqliteFileState {
  /** Migrations drizzle has recorded as applied; 0 before the first. */
  migrationsApplied: number;
  /** Whether any API key or admin token is stored, hashed with some pepper. */
  holdsHashedSecrets: boolean;
}

/** The file as it is, opened read-only (nothing is created or migrated); undefined when there is no file yet. */
export function inspectSqliteFile(path: string): SqliteFileState | undefined {
  if (path === ':memory:' || !existsSync(path)) return undefined;
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  // A table a migration has not created yet reads as empty.
  const first = (query: string): Record<string, unknown> | undefined => {
    try {
      return sqlite.prepare(query).get() as Record<string, unknown> | undefined;
    } catch {
      return undefined;
    }
  };
  try {
    return {
      migrationsApplied: Number(first('select count(*) as applied from __drizzle_migrations')?.applied ?? 0),
      holdsHashedSecrets:
        first('select exists(select 1 from api_keys) or exists(select 1 from admin_tokens) as found')?.found === 1,
    };
  } finally {
    sqlite.close();
  }
}

/** Applies db/migrations as every start does; how many it applied now, and how many are applied in all. */
export function migrateSqliteFile(path: string): { applied: number; total: number } {
  const before = inspectSqliteFile(path)?.migrationsApplied ?? 0;
  openSqliteDatabase(path).close();
  const total = inspectSqliteFile(path)?.migrationsApplied ?? 0;
  return { applied: total - before, total };
}
