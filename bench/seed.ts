// Seeds a keymint database with N filler API keys straight through better-sqlite3, for the scale scenario.
// Usage: tsx bench/seed.ts [--keys N] [--out path]. The result is cached in bench/.cache/ by bench/run.ts.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MIGRATIONS_FOLDER, openSqliteDatabase } from '../src/adapters/node/sqlite-database.js';
import { BASE62_ALPHABET, toBase62 } from '../src/shared/encoding.js';

// Keys per filler account: two per environment, under the default limit of three.
const KEYS_PER_ACCOUNT = 4;
const ROWS_PER_TRANSACTION = 100_000;
// Per filler row: 6 (account id) + 6 (key id) + 24 (application id) + 32 (secret hash) random bytes.
const ROW_RANDOM_BYTES = 68;

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62_ALPHABET[bytes[i]! % 62];
  return out;
}

/** Changes whenever the schema does, so a cached database built for an older schema is rebuilt. */
export function schemaFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith('.sql')).sort()) {
    hash.update(file).update(readFileSync(join(MIGRATIONS_FOLDER, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

export interface SeedResult {
  path: string;
  keys: number;
  seconds: number;
  reused: boolean;
}

/**
 * Returns a database at `path` holding `keys` filler keys, building it unless a finished one for the same
 * schema is already there (a `.json` marker written last says it is finished).
 */
export function seedDatabase(path: string, keys: number): SeedResult {
  const marker = `${path}.json`;
  const fingerprint = schemaFingerprint();
  if (existsSync(path) && existsSync(marker)) {
    const meta = JSON.parse(readFileSync(marker, 'utf8')) as { keys: number; schema: string };
    if (meta.keys === keys && meta.schema === fingerprint) return { path, keys, seconds: 0, reused: true };
  }
  const started = performance.now();
  const building = `${path}.building`;
  for (const file of [path, marker, building, `${building}-wal`, `${building}-shm`]) rmSync(file, { force: true });

  // keymint's own opener applies the migrations, so the schema is exactly the one the gateway expects.
  openSqliteDatabase(building).close();
  const db = new Database(building);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('foreign_keys = OFF');

  // No secret is ever presented for filler rows, so their "hashes" are random 256-bit values in the HMAC's
  // shape: as cheap as one shared precomputed hash, which the unique index on secret_hash would refuse.
  const createdAt = Date.now() - 86_400_000;
  const insertAccount = db.prepare('insert into accounts (id, name, created_at) values (?, ?, ?)');
  const insertKey = db.prepare(
    `insert into api_keys (id, account_id, environment, name, application_id, secret_hash, secret_hint, scopes, status,
       expires_at, created_at, updated_at, last_used_at) values (?, ?, ?, ?, ?, ?, ?, ?, 'active', null, ?, ?, null)`,
  );
  const scopes = JSON.stringify(['read', 'write']);
  const time = toBase62(createdAt, 8);
  const insertRange = db.transaction((from: number, to: number) => {
    const random = randomBytes((to - from) * ROW_RANDOM_BYTES);
    let offset = 0;
    let accountId = '';
    for (let i = from; i < to; i++) {
      // Ids sort by creation like newId()'s: the time prefix, then a counter, then random characters.
      const counter = toBase62(i, 8);
      if (i % KEYS_PER_ACCOUNT === 0) {
        accountId = `acct_${time}${counter}${base62(random.subarray(offset, offset + 6), 6)}`;
        insertAccount.run(accountId, `filler ${i / KEYS_PER_ACCOUNT}`, createdAt);
      }
      const production = i % 2 === 1;
      const id = `key_${time}${counter}${base62(random.subarray(offset + 6, offset + 12), 6)}`;
      const applicationId = `app_${production ? 'prd' : 'sbx'}_${base62(random.subarray(offset + 12, offset + 36), 24)}`;
      const secretHash = random.subarray(offset + 36, offset + 68).toString('base64url');
      insertKey.run(id, accountId, production ? 'production' : 'sandbox', `filler ${i}`, applicationId, secretHash, 'fill', scopes, createdAt, createdAt);
      offset += ROW_RANDOM_BYTES;
    }
  });
  // Indexes are rebuilt after the load (one sort each) rather than updated row by row at random positions.
  const indexes = db
    .prepare(`select name, sql from sqlite_master where type = 'index' and tbl_name in ('accounts', 'api_keys') and sql is not null`)
    .all() as { name: string; sql: string }[];
  for (const index of indexes) db.exec(`drop index "${index.name}"`);
  for (let from = 0; from < keys; from += ROWS_PER_TRANSACTION) insertRange(from, Math.min(keys, from + ROWS_PER_TRANSACTION));
  for (const index of indexes) db.exec(index.sql);
  db.exec('analyze');
  db.close();
  renameSync(building, path);
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(marker, JSON.stringify({ keys, schema: fingerprint, seconds, createdAt: new Date().toISOString() }, null, 2));
  return { path, keys, seconds, reused: false };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argument = (name: string) => {
    const index = process.argv.indexOf(name);
    return index >= 0 ? process.argv[index + 1] : undefined;
  };
  const keys = Number(argument('--keys') ?? 1_000_000);
  const out = argument('--out') ?? join(fileURLToPath(new URL('.', import.meta.url)), '.cache', `scale-${keys}.db`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(out, '..'), { recursive: true });
  const result = seedDatabase(out, keys);
  process.stdout.write(`${result.reused ? 'reused' : 'seeded'} ${result.keys} keys in ${result.path} (${result.seconds.toFixed(1)} s)\n`);
}
