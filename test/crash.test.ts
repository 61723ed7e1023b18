// SIGKILL during concurrent admin writes: after a restart on the same database, nothing answered is lost,
// nothing unanswered appears beyond the requests cut off, the key limit holds and the audit log matches.
// On the SQLite file and on PostgreSQL alike.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { basic, redisUrl } from './support/gateway.js';
import { startKeymintProcess } from './support/keymint-process.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';
import { freePort } from './support/redis-server.js';

const ROOT = `root_${randomBase62(40)}`;

interface KeyRow {
  id: string;
  account_id: string;
  environment: string;
}

interface Backend {
  name: string;
  available: boolean;
  /** The variables that put the gateway on this database, and how to read back what it holds. */
  prepare(directory: string): Promise<{ env: Record<string, string>; read(): Promise<{ rows: KeyRow[]; audited: string[] }> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    available: true,
    async prepare(directory) {
      return {
        env: {},
        async read() {
          const database = new Database(join(directory, 'keymint.db'), { readonly: true });
          const rows = database.prepare('select id, account_id, environment from api_keys').all() as KeyRow[];
          const audited = database
            .prepare("select key_id from operations where action = 'key.created'")
            .all()
            .map((row) => (row as { key_id: string }).key_id);
          database.close();
          return { rows, audited };
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    available: postgresUrl() !== null && redisUrl() !== null,
    async prepare() {
      const url = await createTestDatabase();
      return {
        env: {
          KEYMINT_DATABASE: url,
          KEYMINT_SECRET_PEPPER: `pepper_${randomBase62(40)}`,
          REDIS_URL: redisUrl()!,
          KEYMINT_REDIS_PREFIX: `k${randomBase62(8)}`,
        },
        async read() {
          const sql = postgres(url, { max: 1, onnotice: () => {} });
          try {
            const rows = await sql<KeyRow[]>`select id, account_id, environment from api_keys`;
            const audited = (await sql<{ key_id: string }[]>`select key_id from operations where action = 'key.created'`).map((row) => row.key_id);
            return { rows: [...rows], audited };
          } finally {
            await sql.end();
          }
        },
      };
    },
  },
];

async function startProcess(directory: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  return (await startKeymintProcess({ directory, port, env: { KEYMINT_ADMIN_TOKEN: ROOT, ...env } })).child;
}

for (const backend of backends) describe.skipIf(!backend.available)(`a gateway on ${backend.name} killed with SIGKILL mid-write`, () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-crash-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  });

  it('keeps every answered key, invents none, holds the limit and the audit log', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const database = await backend.prepare(directory);
    const first = await startProcess(directory, port, database.env);
    children.push(first);
    const admin = (path: string, body: unknown) =>
      fetch(`${base}/admin/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ROOT}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const accounts: string[] = [];
    for (let i = 0; i < 4; i++) accounts.push(((await (await admin('/accounts', { name: `a${i}` })).json()) as { id: string }).id);

    type Outcome = { status: number; key?: { id: string; applicationId: string; applicationSecret: string } } | 'cut';
    const outcomes: Outcome[] = [];
    let answered = 0;
    const requests = Array.from({ length: 120 }, (_, i) =>
      admin(`/accounts/${accounts[i % 4]}/keys`, { environment: i % 3 ? 'sandbox' : 'production', name: `k${i}` }).then(
        async (response) => {
          answered++;
          outcomes.push({ status: response.status, ...(response.status === 201 && { key: await response.json() }) });
        },
        () => void outcomes.push('cut'),
      ),
    );
    while (answered < 30) await new Promise((resolve) => setTimeout(resolve, 1));
    first.kill('SIGKILL');
    await Promise.all(requests);

    const created = outcomes.flatMap((outcome) => (outcome !== 'cut' && outcome.key ? [outcome.key] : []));
    const cut = outcomes.filter((outcome) => outcome === 'cut').length;
    expect(created.length).toBeGreaterThan(0);
    expect(cut).toBeGreaterThan(0);

    const second = await startProcess(directory, port, database.env);
    children.push(second);

    // Every key answered 201 exists and can mint.
    for (const key of created) {
      const environment = key.applicationId.startsWith('app_sbx_') ? 'sandbox' : 'production';
      const response = await fetch(`${base}/${environment}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(response.status, key.id).toBe(200);
    }

    const { rows, audited } = await database.read();

    // No key beyond those answered, except at most one per request cut off by the kill.
    const answeredIds = new Set(created.map((key) => key.id));
    const unanswered = rows.filter((row) => !answeredIds.has(row.id));
    expect(unanswered.length).toBeLessThanOrEqual(cut);
    // The limit holds per account and environment.
    const perSlot = new Map<string, number>();
    for (const row of rows) perSlot.set(`${row.account_id}/${row.environment}`, (perSlot.get(`${row.account_id}/${row.environment}`) ?? 0) + 1);
    for (const count of perSlot.values()) expect(count).toBeLessThanOrEqual(3);
    // The audit log matches the keys exactly.
    expect(audited.sort()).toEqual(rows.map((row) => row.id).sort());
  }, 60_000);
});
