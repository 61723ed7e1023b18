// Opens the embedded SQLite database (better-sqlite3), applies db/migrations, and runs atomic batches.
import { closeSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
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
 * `first`'s answers, kept for as long as the database has not changed: the token endpoint's key read (a statement and
 * a 25-property row, ~13 µs on a warm file in a loop) then costs one check, and still sees any change from the next
 * request on (SPEC §6). Any change drops everything kept (a `lastUsedAt` write too: at most once a minute per key and
 * process). The check is taken before the row is read, so a commit in between drops it at the next call. Every write
 * here is one synchronous transaction (`atomic`), so no read ever sees one half-done. Rows are shared: callers map
 * them, never change them.
 */
export function keptReads(sqlite: Database.Database): (query: string, params: unknown[], read: () => Row | undefined) => Row | undefined {
  const changed = changeCheck(sqlite);
  const byQuery = new Map<string, { found: Map<string, Row>; missing: Set<string> }>();
  let rows = 0;
  return (query, params, read) => {
    // Inside a transaction of this connection (none of keymint's reads runs in one) the answer may be its snapshot's
    // or its own uncommitted write: never kept.
    if (sqlite.inTransaction) return read();
    if (changed()) {
      byQuery.clear();
      rows = 0;
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

/**
 * Whether the database changed since the last call (true on the first). On a WAL file (keymint's, on Linux) it
 * compares the WAL-index header in the `-shm` file, which every commit of every connection rewrites (its change
 * counter, last frame and salts: sqlite.org/walformat.html) and which every reader reads first: one `pread` of ~1 µs,
 * no lock, no transaction. Elsewhere (`:memory:`, another journal mode, no /proc) it reads two counters in a statement
 * — `PRAGMA data_version`, moved by any other connection's commit, and `total_changes()`, this connection's own
 * writes — which opens a read transaction: ~4 µs in a loop, 11–18 µs inside the gateway under load (round 10 of
 * bench/README.md).
 */
export function changeCheck(sqlite: Database.Database): () => boolean {
  const counters = sqlite.prepare('select total_changes(), data_version from pragma_data_version').raw(true);
  let seenChanges = -1;
  let seenData = -1;
  const countersMoved = () => {
    const [changes, data] = counters.get() as [number, number];
    if (changes === seenChanges && data === seenData) return false;
    seenChanges = changes;
    seenData = data;
    return true;
  };
  let header = walIndexHeader(sqlite);
  // Zeros, which no header is (it starts with iVersion): the first call finds a change.
  const seen = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  return () => {
    // A closed connection goes to the statement, which throws the error every other use of it throws.
    if (!header || !sqlite.open) return countersMoved();
    let now: Buffer | undefined;
    try {
      now = header();
    } catch {
      now = undefined;
    }
    if (!now || !isWalIndexHeader(now)) {
      // Unreadable, or not a WAL-index header at all: the descriptor is not what it was. The statement from now on.
      header = undefined;
      return countersMoved() || true;
    }
    if (now.equals(seen)) return false;
    now.copy(seen);
    return true;
  };
}

// walformat.html §2.1: each copy of the header starts with iVersion, 3007000 in the host's byte order.
const WAL_INDEX_VERSION = 3007000;
const readHostUint32 = endianness() === 'LE' ? (buffer: Buffer, offset: number) => buffer.readUInt32LE(offset) : (buffer: Buffer, offset: number) => buffer.readUInt32BE(offset);

/**
 * Whether the bytes are a WAL-index header. A copy half-written by a committing connection still is (the two copies
 * then differ, and differ from the finished header too, so the next check drops the rows again); anything else means
 * the descriptor no longer reads the `-shm` file.
 */
function isWalIndexHeader(bytes: Buffer): boolean {
  return readHostUint32(bytes, 0) === WAL_INDEX_VERSION && readHostUint32(bytes, 48) === WAL_INDEX_VERSION;
}

// The two copies of the WAL-index header at the start of the `-shm` file (48 bytes each; walformat.html §2.1).
const WAL_INDEX_HEADER_BYTES = 96;

/**
 * A reader of the database's WAL-index header through the descriptor SQLite itself holds on the `-shm` file, or
 * undefined where there is none to find (`:memory:`, not WAL, no /proc). SQLite's own descriptor, never one of
 * keymint's: closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's too. SQLite
 * keeps it open while a connection of the process uses the file in WAL mode (this one: keymint never leaves WAL mode,
 * and while it holds the file no other process can change its journal mode); should the number ever read something
 * else, `isWalIndexHeader` notices. `read(2)` sees what SQLite writes through its shared mapping of the file on a local
 * filesystem (the page cache), which WAL needs anyway: SQLite's WAL does not work over a network filesystem.
 * Found once, after the connection has read the file, so the `-shm` file is open.
 */
export function walIndexHeader(sqlite: Database.Database): (() => Buffer) | undefined {
  const descriptor = sharedMemoryDescriptor(sqlite);
  if (descriptor === undefined) return undefined;
  const buffer = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  return () => {
    if (readSync(descriptor, buffer, 0, WAL_INDEX_HEADER_BYTES, 0) !== WAL_INDEX_HEADER_BYTES) throw new Error('short read of the WAL-index header');
    return buffer;
  };
}

/** The one descriptor this process holds on the database's `-shm` file (SQLite's), found in /proc/self/fd; or undefined. */
export function sharedMemoryDescriptor(sqlite: Database.Database): number | undefined {
  if (sqlite.memory || String(sqlite.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined;
  try {
    sqlite.prepare('select 1 from sqlite_master limit 1').get();
    const shm = `${realpathSync(sqlite.name)}-shm`;
    const found = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === shm;
      } catch {
        return false;
      }
    });
    return found.length === 1 ? Number(found[0]) : undefined;
  } catch {
    return undefined;
  }
}
