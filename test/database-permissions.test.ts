// The database and its directory are private to keymint's user: real files, real modes, and the start-up warning.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from './support/gateway.js';

const modeOf = (path: string) => `0${(statSync(path).mode & 0o777).toString(8)}`;

describe('database file modes', () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'keymint-modes-'));
    // The usual umask, under which SQLite and mkdir leave files 0644 and directories 0755.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  const warnings = (logs: string[]) =>
    logs
      .map((line) => JSON.parse(line) as { level: string; message: string; path?: string; mode?: string })
      .filter((line) => line.level === 'warn' && line.message.includes('group or others may read or write'));

  it('creates the data directory 0700 and keymint.db, -wal and -shm 0600, and warns about nothing', async () => {
    const directory = join(root, 'fresh', 'data');
    const database = join(directory, 'keymint.db');
    const gateway = await startGateway({ directory: root, env: { KEYMINT_DATABASE: database } });
    try {
      // A write, so that the WAL holds something while the database is open.
      await gateway.createAccount();
      expect(modeOf(join(root, 'fresh'))).toBe('0700');
      expect(modeOf(directory)).toBe('0700');
      for (const file of ['keymint.db', 'keymint.db-wal', 'keymint.db-shm']) {
        expect(existsSync(join(directory, file)), file).toBe(true);
        expect(modeOf(join(directory, file)), file).toBe('0600');
      }
      expect(warnings(gateway.logs)).toEqual([]);
    } finally {
      await gateway.close();
    }
  });

  it('warns at start-up about an existing database and directory that others may read, naming each', async () => {
    const directory = join(root, 'shared');
    mkdirSync(directory);
    const database = join(directory, 'keymint.db');
    const first = await startGateway({ directory: root, env: { KEYMINT_DATABASE: database } });
    await first.close();
    // As an earlier keymint (or a careless copy) left them.
    chmodSync(directory, 0o755);
    chmodSync(database, 0o644);

    const second = await startGateway({ directory: root, env: { KEYMINT_DATABASE: database } });
    try {
      expect(warnings(second.logs).map(({ path, mode }) => ({ path, mode }))).toEqual([
        { path: directory, mode: '0755' },
        { path: database, mode: '0644' },
      ]);
      expect(warnings(second.logs)[0]!.message).toContain('chmod 700');
      expect(warnings(second.logs)[1]!.message).toContain('chmod 600');
      // Told, not changed behind the operator's back; and the gateway still serves.
      expect(modeOf(database)).toBe('0644');
      expect((await second.fetch('/healthz')).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
