// inspectSqliteFile and migrateSqliteFile: what `keymint migrate` and the CLI's pepper check read of a database file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlKeyStore } from '../sql/sql-store.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { inspectSqliteFile, migrateSqliteFile } from './sqlite-file.js';

describe('a SQLite file as the CLI sees it', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'keymint-sqlite-file-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('has no state before it exists, and looking creates nothing', () => {
    const path = join(directory, 'missing.db');
    expect(inspectSqliteFile(path)).toBeUndefined();
    expect(inspectSqliteFile(path)).toBeUndefined();
  });

  it('reads a file with no tables yet as unmigrated and holding no secrets', () => {
    const path = join(directory, 'empty.db');
    writeFileSync(path, '');
    expect(inspectSqliteFile(path)).toEqual({ migrationsApplied: 0, holdsHashedSecrets: false });
  });

  it('migrates once, then has nothing to apply; a stored admin token counts as a hashed secret', async () => {
    const path = join(directory, 'keymint.db');
    const first = migrateSqliteFile(path);
    expect(first.applied).toBeGreaterThan(0);
    expect(first.applied).toBe(first.total);
    expect(migrateSqliteFile(path)).toEqual({ applied: 0, total: first.total });
    expect(inspectSqliteFile(path)).toEqual({ migrationsApplied: first.total, holdsHashedSecrets: false });

    const handle = openSqliteDatabase(path);
    const store = new SqlKeyStore(handle);
    const at = { accountId: 'acct_1', environment: null, keyId: null, actor: 'root', at: 1 };
    await store.createAccount({ id: 'acct_1', name: 'Acme', createdAt: 1 }, { ...at, id: 'op_1', action: 'account.created' });
    await store.createAdminToken(
      { id: 'adm_1', accountId: 'acct_1', name: 'ops', role: 'viewer', tokenHash: 'h'.repeat(43), createdAt: 1, lastUsedAt: null },
      { ...at, id: 'op_2', action: 'admin_token.created' },
    );
    handle.close();
    expect(inspectSqliteFile(path)?.holdsHashedSecrets).toBe(true);
  });
});
