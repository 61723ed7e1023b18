import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeyRecord } from '../../ports/key-store.js';
import { SECRET_KEY_DEFAULTS } from '../../ports/testing/fixtures.js';
import { ok } from '../../shared/result.js';
import { SqlKeyStore } from '../sql/sql-store.js';
import { changeCheck, keptReads, openSqliteDatabase, sharedMemoryDescriptor, walIndexHeader, type SqliteHandle } from './sqlite-database.js';

const operation = (id: string, action: 'account.created' | 'key.created', keyId: string | null = null) => ({
  id,
  accountId: 'acct_1',
  environment: keyId ? ('sandbox' as const) : null,
  keyId,
  action,
  actor: 'root',
  at: 1,
});

const key: KeyRecord = {
  id: 'key_1',
  accountId: 'acct_1',
  environment: 'sandbox',
  name: 'ci',
  applicationId: 'app_sbx_000000000000000000000001',
  secretHash: 'h'.repeat(43),
  secretHint: 'abcd',
  scopes: ['orders:read', 'orders:write'],
  status: 'active',
  expiresAt: 1_900_000_000_000,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_001,
  lastUsedAt: null,
  ...SECRET_KEY_DEFAULTS,
};

describe('the better-sqlite3 fast path for key look-ups', () => {
  let handle: SqliteHandle;
  afterEach(() => handle.close());

  it('answers exactly what the drizzle query answers', async () => {
    handle = openSqliteDatabase(':memory:');
    const fast = new SqlKeyStore(handle);
    // The same database without the fast path: SqlKeyStore falls back to drizzle (as on D1).
    const portable = new SqlKeyStore({ db: handle.db, store: handle.store, isOutage: handle.isOutage, atomic: handle.atomic });
    await fast.createAccount({ id: 'acct_1', name: 'Acme', createdAt: 1 }, operation('op_1', 'account.created'));
    expect(await fast.insertKey(key, { perEnvironment: 3 }, operation('op_2', 'key.created', key.id))).toEqual(ok(undefined));
    await fast.touchKey(key.id, 1_700_000_000_500);

    const expected = { ...key, lastUsedAt: 1_700_000_000_500 };
    expect(await portable.findKeyByApplicationId(key.applicationId)).toEqual({ key: expected, pair: 'current' });
    expect(await fast.findKeyByApplicationId(key.applicationId)).toEqual({ key: expected, pair: 'current' });
    expect(await fast.findKeyBySecretHash(key.secretHash!)).toEqual({ key: expected, pair: 'current' });
    expect(await fast.findKeyByApplicationId('app_sbx_000000000000000000000002')).toBeNull();
    expect(await fast.findKeyBySecretHash('x'.repeat(43))).toBeNull();
  });
});

describe('kept key look-ups on a SQLite file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-kept-reads-'));
  const handles: SqliteHandle[] = [];
  const open = () => {
    const handle = openSqliteDatabase(join(directory, 'keymint.db'));
    handles.push(handle);
    return new SqlKeyStore(handle);
  };
  afterEach(() => {
    for (const handle of handles.splice(0)) handle.close();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("sees this process's writes and another process's from the next look-up on", async () => {
    const gateway = open();
    // Another connection to the same file: another KEYMINT_WORKERS process, or the CLI.
    const cli = open();
    await cli.createAccount({ id: 'acct_1', name: 'Acme', createdAt: 1 }, operation('op_1', 'account.created'));
    // Not there yet, asked twice: the answer "no such key" is kept too, until the file changes.
    expect(await gateway.findKeyByApplicationId(key.applicationId)).toBeNull();
    expect(await gateway.findKeyByApplicationId(key.applicationId)).toBeNull();

    expect(await cli.insertKey(key, { perEnvironment: 3 }, operation('op_2', 'key.created', key.id))).toEqual(ok(undefined));
    expect((await gateway.findKeyByApplicationId(key.applicationId))?.key.status).toBe('active');
    expect((await gateway.findKeyByApplicationId(key.applicationId))?.key.status).toBe('active');

    // Disabled by the other connection: the next look-up here says so.
    await cli.updateKey('acct_1', key.id, { status: 'disabled', updatedAt: 2 }, { ...operation('op_3', 'key.created', key.id), action: 'key.disabled' });
    expect((await gateway.findKeyBySecretHash(key.secretHash!))?.key.status).toBe('disabled');
    expect((await gateway.findKeyByApplicationId(key.applicationId))?.key.status).toBe('disabled');

    // Enabled again through this connection, then deleted through the other.
    await gateway.updateKey('acct_1', key.id, { status: 'active', updatedAt: 3 }, { ...operation('op_4', 'key.created', key.id), action: 'key.enabled' });
    expect((await gateway.findKeyByApplicationId(key.applicationId))?.key.status).toBe('active');
    await gateway.touchKey(key.id, 1_700_000_000_900);
    expect((await gateway.findKeyByApplicationId(key.applicationId))?.key.lastUsedAt).toBe(1_700_000_000_900);
    expect(await cli.deleteKey('acct_1', key.id, operation('op_5', 'key.created', key.id))).toBe(true);
    expect(await gateway.findKeyByApplicationId(key.applicationId)).toBeNull();
    expect(await gateway.findKeyBySecretHash(key.secretHash!)).toBeNull();
  });
});

describe('keptReads', () => {
  it('reads a row once until the database changes, and unknown ids never push known rows out', () => {
    const sqlite = new Database(':memory:');
    sqlite.exec("create table t (id text primary key, v text); insert into t values ('a', 'one')");
    const select = sqlite.prepare('select * from t where id = ?');
    const kept = keptReads(sqlite);
    let reads = 0;
    const look = (id: string) =>
      kept('q', [id], () => {
        reads++;
        return select.get(id) as Record<string, unknown> | undefined;
      });

    expect(look('a')).toEqual({ id: 'a', v: 'one' });
    expect(look('a')).toEqual({ id: 'a', v: 'one' });
    expect(reads).toBe(1);
    // A client guessing 12,000 ids (more than the rows kept): each read once, and the known row is still kept.
    for (let i = 0; i < 12_000; i++) expect(look(`guess-${i}`)).toBeUndefined();
    expect(reads).toBe(12_001);
    expect(look('a')).toEqual({ id: 'a', v: 'one' });
    expect(reads).toBe(12_001);

    sqlite.prepare("update t set v = 'two' where id = 'a'").run();
    expect(look('a')).toEqual({ id: 'a', v: 'two' });
    expect(reads).toBe(12_002);
    sqlite.close();
  });
});

describe('the change check on a WAL file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-change-check-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const openFile = (name: string) => {
    const sqlite = new Database(join(directory, name));
    sqlite.pragma('journal_mode = WAL');
    return sqlite;
  };

  it.runIf(process.platform === 'linux')("reads SQLite's own WAL-index header: moved by every commit of any connection, not by reads", () => {
    const gateway = openFile('header.db');
    gateway.exec("create table t (id text primary key, v text); insert into t values ('a', 'one')");
    const cli = openFile('header.db');
    const header = walIndexHeader(gateway);
    expect(header).toBeDefined();
    const changed = changeCheck(gateway);
    expect(changed()).toBe(true);
    expect(changed()).toBe(false);
    cli.prepare('select * from t').all();
    gateway.prepare('select * from t').all();
    expect(changed()).toBe(false);
    cli.prepare("update t set v = 'two' where id = 'a'").run();
    expect(changed()).toBe(true);
    expect(changed()).toBe(false);
    gateway.prepare("update t set v = 'three' where id = 'a'").run();
    expect(changed()).toBe(true);
    // A checkpoint that starts the log over, then a commit into the new log.
    cli.pragma('wal_checkpoint(TRUNCATE)');
    changed();
    cli.prepare("insert into t values ('b', 'x')").run();
    expect(changed()).toBe(true);
    // The descriptor is SQLite's and shared by its connections: the other one closing leaves it working.
    cli.close();
    const third = openFile('header.db');
    third.prepare("delete from t where id = 'b'").run();
    expect(changed()).toBe(true);
    expect(changed()).toBe(false);
    third.close();
    gateway.close();
    expect(() => changed()).toThrow('The database connection is not open');
  });

  it('keeps nothing read inside a transaction of its own connection (its snapshot may be older than the file)', () => {
    const gateway = openFile('snapshot.db');
    gateway.exec("create table t (id text primary key, v text); insert into t values ('a', 'one')");
    const cli = openFile('snapshot.db');
    const select = gateway.prepare('select v from t where id = ?');
    const kept = keptReads(gateway);
    const look = () => kept('q', ['a'], () => select.get('a') as Record<string, unknown> | undefined)?.v;
    gateway.exec('begin');
    expect(look()).toBe('one');
    cli.prepare("update t set v = 'two' where id = 'a'").run();
    // The open snapshot still reads the old row, as SQLite promises; it must not outlive the transaction.
    expect(look()).toBe('one');
    gateway.exec('commit');
    expect(look()).toBe('two');
    expect(look()).toBe('two');
    cli.close();
    gateway.close();
  });

  it.runIf(process.platform === 'linux')('notices when the descriptor no longer reads a WAL-index header, and counts changes with the statement', () => {
    const gateway = openFile('leaves-wal.db');
    gateway.exec("create table t (id text primary key, v text); insert into t values ('a', 'one')");
    const changed = changeCheck(gateway);
    expect(changed()).toBe(true);
    const descriptor = sharedMemoryDescriptor(gateway);
    expect(descriptor).toBeDefined();
    // Leaving WAL mode closes SQLite's descriptor; an unrelated file of zeros takes its number.
    gateway.pragma('journal_mode = DELETE');
    writeFileSync(join(directory, 'zeros'), Buffer.alloc(4096));
    // Each open takes the lowest free number: open until one lands on SQLite's old descriptor.
    const opened: number[] = [];
    while (opened.length < 200 && opened.at(-1) !== descriptor) opened.push(openSync(join(directory, 'zeros'), 'r'));
    expect(opened.at(-1)).toBe(descriptor);
    try {
      expect(changed()).toBe(true);
      const cli = new Database(join(directory, 'leaves-wal.db'));
      cli.prepare("update t set v = 'two' where id = 'a'").run();
      cli.close();
      expect(changed()).toBe(true);
      expect(changed()).toBe(false);
    } finally {
      for (const fd of opened) closeSync(fd);
      gateway.close();
    }
  });

  it('finds no header to read on an in-memory database, and counts its own writes there instead', () => {
    const sqlite = new Database(':memory:');
    expect(walIndexHeader(sqlite)).toBeUndefined();
    sqlite.exec('create table t (id integer primary key)');
    const changed = changeCheck(sqlite);
    expect(changed()).toBe(true);
    expect(changed()).toBe(false);
    sqlite.prepare('insert into t values (1)').run();
    expect(changed()).toBe(true);
    expect(changed()).toBe(false);
    sqlite.close();
    // Closed: the check throws what any other use of a closed connection throws (a store outage, not a stale row).
    expect(() => changed()).toThrow('The database connection is not open');
  });
});
