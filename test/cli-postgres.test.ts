// The keymint CLI on PostgreSQL (`node bin/keymint.js …` as a child process): `migrate` under the advisory lock,
// `accounts`/`keys` commands on the PostgreSQL key store, and never a password in what it prints.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keymint, type Run } from './support/cli-process.js';
import { redisUrl } from './support/gateway.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';
import { freePort } from './support/redis-server.js';
import { randomBase62 } from '../src/shared/encoding.js';

// Each run starts a Node process with tsx; on a busy machine that is seconds, not milliseconds.
const SLOW = 120_000;

function json<T>(run: Run): T {
  expect(run, run.stderr).toMatchObject({ code: 0 });
  return JSON.parse(run.stdout) as T;
}

describe.skipIf(!postgresUrl() || !redisUrl())('keymint CLI on PostgreSQL', () => {
  let database: string;
  let password: string;
  let sql: postgres.Sql;

  beforeAll(async () => {
    database = await createTestDatabase();
    password = decodeURIComponent(new URL(database).password);
    sql = postgres(database, { max: 1, onnotice: () => {} });
  });
  afterAll(() => sql?.end());

  it('migrate: two at once apply every migration exactly once between them, the URL shown without its password', { timeout: SLOW }, async () => {
    expect(password.length).toBeGreaterThan(0);
    const env = { KEYMINT_DATABASE: database };
    const [first, second] = await Promise.all([keymint(['migrate', '--json'], env), keymint(['migrate', '--json'], env)]);
    const results = [json<{ database: string; applied: number; total: number }>(first), json<{ database: string; applied: number; total: number }>(second)];
    const total = results[0]!.total;
    expect(total).toBeGreaterThan(0);
    expect(results.map((result) => result.total)).toEqual([total, total]);
    // The lock made them take turns: one applied everything, the other found nothing to do.
    expect(results.map((result) => result.applied).sort()).toEqual([0, total]);
    const [row] = await sql<{ applied: string }[]>`select count(*) as applied from drizzle.__drizzle_migrations`;
    expect(Number(row!.applied)).toBe(total);

    const again = await keymint(['migrate'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`is up to date (${total} migrations)`);
    for (const run of [first, second, again]) {
      expect(run.stdout).toContain(':***@127.0.0.1');
      expect(run.stdout + run.stderr).not.toContain(password);
    }
  });

  it('creates and lists keys in PostgreSQL, printing the secret once', { timeout: SLOW }, async () => {
    const env = {
      KEYMINT_DATABASE: database,
      KEYMINT_ADMIN_TOKEN: `root_${randomBase62(40)}`,
      KEYMINT_SECRET_PEPPER: randomBase62(40),
      REDIS_URL: redisUrl()!,
      KEYMINT_REDIS_PREFIX: `t${randomBase62(8)}`,
    };
    const account = json<{ id: string }>(await keymint(['accounts', 'create', '--name', 'Acme', '--json'], env));
    const key = json<{ id: string; applicationId: string; applicationSecret: string }>(
      await keymint(['keys', 'create', '--account', account.id, '--env', 'sandbox', '--name', 'pg-ci', '--json'], env),
    );
    expect(key.applicationSecret).toMatch(/^sk_sbx_/);

    // The rows are in PostgreSQL: the key store the CLI opened is the gateway's, with the secret kept only hashed.
    const rows = await sql<{ id: string; name: string; secret_hash: string }[]>`select id, name, secret_hash from api_keys where account_id = ${account.id}`;
    expect(rows.map(({ id, name }) => ({ id, name }))).toEqual([{ id: key.id, name: 'pg-ci' }]);
    expect(rows[0]!.secret_hash).not.toContain(key.applicationSecret);

    const list = await keymint(['keys', 'list', '--account', account.id, '--env', 'sandbox'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${key.id} +sandbox +pg-ci +${key.applicationId} +active`));
    expect(list.stdout + list.stderr).not.toContain(key.applicationSecret);
    expect(list.stdout + list.stderr).not.toContain(password);
  });

  it('says which database it cannot reach, exit 3, with the password masked', { timeout: SLOW }, async () => {
    const secret = `hunter2-${randomBase62(8)}`;
    const unreachable = `postgres://keymint:${secret}@127.0.0.1:${await freePort()}/keymint`;
    const [migrate, list] = await Promise.all([
      keymint(['migrate'], { KEYMINT_DATABASE: unreachable }),
      keymint(['keys', 'list', '--account', 'acct_x'], {
        KEYMINT_DATABASE: unreachable,
        KEYMINT_ADMIN_TOKEN: `root_${randomBase62(40)}`,
        KEYMINT_SECRET_PEPPER: randomBase62(40),
        REDIS_URL: redisUrl()!,
      }),
    ]);
    for (const run of [migrate, list]) {
      expect(run).toMatchObject({ code: 3, stdout: '' });
      expect(run.stderr).toMatch(/^keymint: cannot (migrate|open) the database postgres:\/\/keymint:\*\*\*@127\.0\.0\.1:\d+\/keymint: /);
      expect(run.stderr).not.toContain(secret);
    }
  });
});
