// Opens the embedded SQLite database (better-sqlite3), applies db/migrations, and runs atomic batches.
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { SQLWrapper } from 'drizzle-orm';
import * as schema from '../../../db/schema.js';
import type { Logger } from '../../ports/runtime.js';
import { errorChain, type SqlExecutor, type SqliteDatabase } from '../sql/sql-store.js';
import { findMigrationsFolder } from './migrations-folder.js';

/** db/migrations (SQLite's), found from this module upwards. */
export const MIGRATIONS_FOLDER = findMigrationsFolder('migrations', dirname(fileURLToPath(import.meta.url)));

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


// Group and others may neither read nor write: without KEYMINT_KEK the database holds the signing keys'
// private halves, and the secrets beside it (local-secrets.ts) open the admin API.
const PRIVATE_DIRECTORY = 0o700;
const PRIVATE_FILE = 0o600;
const SHARED_BITS = 0o066;
// SQLite's companions of a WAL database, and the generated secrets kept in the same directory.
const COMPANIONS = ['-wal', '-shm'];
const BESIDE = ['admin-token', 'secret-pepper'];

/** The database's directory and files (and the secrets beside it) that exist and group or others may read or write. */
export function findSharedDatabaseFiles(path: string): { path: string; kind: 'directory' | 'file'; mode: string }[] {
  if (path === ':memory:') return [];
  const file = resolve(path);
  const directory = dirname(file);
  const candidates = [
    { path: directory, kind: 'directory' as const },
    ...[file, ...COMPANIONS.map((suffix) => `${file}${suffix}`), ...BESIDE.map((name) => join(directory, name))].map(
      (candidate) => ({ path: candidate, kind: 'file' as const }),
    ),
  ];
  const shared = [];
  for (const candidate of candidates) {
    let mode: number;
    try {
      mode = statSync(candidate.path).mode & 0o777;
    } catch {
      continue;
    }
    if (mode & SHARED_BITS) shared.push({ ...candidate, mode: `0${mode.toString(8)}` });
  }
  return shared;
}

/**
 * Creates what is missing of the database's directory (0700) and file (0600) before SQLite opens it: SQLite
 * creates a new file 0644 (less the umask), and its `-wal` and `-shm` files with the database file's mode.
 */
function createPrivately(path: string): void {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIRECTORY });
  try {
    closeSync(openSync(file, 'wx', PRIVATE_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Opens (creating it privately if need be) and migrates the database. With a `logger`, warns about an
 * existing directory or file that group or others may read or write; keymint leaves their modes alone.
 */
export function openSqliteDatabase(
  path: string,
  options: { logger?: Pick<Logger, 'warn'>; busyTimeoutMs?: number } = {},
): SqliteHandle {
  if (path !== ':memory:') {
    for (const shared of findSharedDatabaseFiles(path)) {
      options.logger?.warn(
        `group or others may read or write this ${shared.kind} of keymint's data (the database holds the private signing keys unless KEYMINT_KEK is set, the admin-token file opens the admin API); chmod ${shared.kind === 'directory' ? 700 : 600} it`,
        { path: shared.path, mode: shared.mode },
      );
    }
    createPrivately(path);
  }
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
  const kept = keptReads(sqlite);
  return {
    db: db as unknown as SqliteDatabase,
    store: 'sqlite',
    isOutage: isSqliteOutage,
    atomic: async (statements) => runAll.immediate(statements),
    async first(query, params) {
      return kept(query, params, () => {
        let statement = prepared.get(query);
        if (!statement) prepared.set(query, (statement = sqlite.prepare(query)));
        return statement.get(...params) as Record<string, unknown> | undefined;
      });
    },
    close: () => sqlite.close(),
    ping: () => void sqlite.prepare('select 1').get(),
  };
}

/**
 * At most this many rows are kept (past it they are all dropped and read again), and, apart, this many "no such row"
 * answers: a client sending unknown ids fills only the second, never pushes the rows out.
 */
const KEPT_ROWS = 10_000;
const KEPT_MISSES = 1_000;

type Row = Record<string, unknown>;

/**
 * `first`'s answers, kept for as long as the database file has not changed: the token endpoint's key read (a
 * function call of ~13 µs on a warm file) then costs one check of ~3 µs, and still sees any change from the next
 * request on (SPEC §6). Two counters say whether the file changed: `PRAGMA data_version` moves on every commit
 * of another connection (another `KEYMINT_WORKERS` process, the CLI, a second handle in this process) and
 * `total_changes()` on every row this connection's own statements wrote; either moving drops everything kept (a
 * `lastUsedAt` write too: at most once a minute per key and process). They are read before the row, so a commit in
 * between drops it at the next call. Every write here is one synchronous transaction (`atomic`), so no read ever sees
 * one half-done. Rows are shared: callers map them, never change them.
 */
export function keptReads(sqlite: Database.Database): (query: string, params: unknown[], read: () => Row | undefined) => Row | undefined {
  const versionStatement = sqlite.prepare('select total_changes(), data_version from pragma_data_version').raw(true);
  const byQuery = new Map<string, { found: Map<string, Row>; missing: Set<string> }>();
  let rows = 0;
  let seenChanges = -1;
  let seenData = -1;
  return (query, params, read) => {
    const [changes, data] = versionStatement.get() as [number, number];
    if (changes !== seenChanges || data !== seenData) {
      byQuery.clear();
      rows = 0;
      seenChanges = changes;
      seenData = data;
    }
    let kept = byQuery.get(query);
    if (!kept) byQuery.set(query, (kept = { found: new Map(), missing: new Set() }));
    const key = JSON.stringify(params);
    const known = kept.found.get(key);
    if (known !== undefined) return known;
    if (kept.missing.has(key)) return undefined;
    const row = read();
    if (row === undefined) {
      if (kept.missing.size >= KEPT_MISSES) kept.missing.clear();
      kept.missing.add(key);
    } else {
      if (rows >= KEPT_ROWS) {
        for (const { found } of byQuery.values()) found.clear();
        rows = 0;
      }
      kept.found.set(key, row);
      rows++;
    }
    return row;
  };
}
