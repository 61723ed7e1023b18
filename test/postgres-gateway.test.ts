// keymint on PostgreSQL (KEYMINT_DATABASE=postgres://…): the real gateway process mints from keys kept there across
// a restart, refuses to start without shared state, and /readyz follows the database.
import { afterAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { basic, redisUrl, startGateway, type Gateway } from './support/gateway.js';
import { spawnKeymint, startKeymintProcess, type KeymintProcess } from './support/keymint-process.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';
import { startPostgresServer, type PostgresServer } from './support/postgres-server.js';
import { freePort } from './support/redis-server.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = `root_${randomBase62(40)}`;
const PEPPER = `pepper_${randomBase62(40)}`;

// Whole processes (tsx compiles each at start): generous timeouts for a loaded machine.
describe.skipIf(!postgresUrl() || !redisUrl())('the gateway on PostgreSQL', { timeout: 60_000 }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-pg-gateway-'));
  const processes: KeymintProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((started) => started.stop('SIGKILL')));
    rmSync(directory, { recursive: true, force: true });
  });

  async function start(database: string, port: number) {
    const started = await startKeymintProcess({
      directory,
      port,
      env: {
        KEYMINT_DATABASE: database,
        KEYMINT_ADMIN_TOKEN: ROOT,
        KEYMINT_SECRET_PEPPER: PEPPER,
        REDIS_URL: redisUrl()!,
        KEYMINT_REDIS_PREFIX: `p${randomBase62(8)}`,
      },
    });
    processes.push(started);
    return started;
  }

  it('mints from a key created through it, and again after a restart', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    let gateway = await start(database, port);
    const admin = async (path: string, body: unknown) => {
      const response = await fetch(`${gateway.url}/admin/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ROOT}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(201);
      return (await response.json()) as Record<string, string>;
    };
    const mint = () =>
      fetch(`${gateway.url}/sandbox/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(key.applicationId!, key.applicationSecret!), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
    const kids = async () => ((await (await fetch(`${gateway.url}/sandbox/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((jwk) => jwk.kid);

    const account = await admin('/accounts', { name: 'Acme' });
    const key = await admin(`/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'ci' });
    const first = await mint();
    expect(first.status).toBe(200);
    const firstToken = ((await first.json()) as { access_token: string }).access_token;
    const kidsBefore = await kids();
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });

    await gateway.stop();
    gateway = await start(database, port);
    const again = await mint();
    expect(again.status).toBe(200);
    // The signing key came back from PostgreSQL too: the token minted before the restart still names a published key.
    expect(await kids()).toEqual(kidsBefore);
    const header = JSON.parse(Buffer.from(firstToken.split('.')[0]!, 'base64url').toString()) as { kid: string };
    expect(kidsBefore).toContain(header.kid);
    // The database URL's password never reaches the logs.
    expect(gateway.output()).toContain('keymint:***@127.0.0.1');
    expect(gateway.output()).not.toContain(new URL(database).password);
  });

  it('refuses to start on PostgreSQL without a shared session store, naming REDIS_URL', async () => {
    const refused = spawnKeymint({
      directory,
      port: await freePort(),
      env: { KEYMINT_DATABASE: postgresUrl()!, KEYMINT_ADMIN_TOKEN: ROOT, KEYMINT_SECRET_PEPPER: PEPPER },
    });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/REDIS_URL: must be set when KEYMINT_DATABASE is a PostgreSQL URL/);
  });

  it('stops with one clear line when PostgreSQL cannot be reached, showing no password', async () => {
    const unreachable = `postgres://keymint:hunter2-${randomBase62(8)}@127.0.0.1:${await freePort()}/keymint`;
    const refused = spawnKeymint({
      directory,
      port: await freePort(),
      env: { KEYMINT_DATABASE: unreachable, KEYMINT_ADMIN_TOKEN: ROOT, KEYMINT_SECRET_PEPPER: PEPPER, REDIS_URL: redisUrl()! },
    });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/^keymint: cannot start on postgres:\/\/keymint:\*\*\*@127\.0\.0\.1:\d+\/keymint: postgres: unreachable: .*ECONNREFUSED/m);
    expect(refused.output()).not.toContain('hunter2');
  });
});

describe.skipIf(!postgresUrl() || !redisUrl())('readiness on PostgreSQL', { timeout: 60_000 }, () => {
  let server: PostgresServer;
  let gateway: Gateway;
  afterAll(async () => {
    await gateway?.close();
    await server?.destroy();
  });

  it('answers 503 while PostgreSQL is down and 200 once it is back, without a restart', async () => {
    // A server of its own: the run's shared one must not stop.
    server = await startPostgresServer();
    gateway = await startGateway({ env: { KEYMINT_DATABASE: server.url, KEYMINT_SECRET_PEPPER: PEPPER } });
    expect((await gateway.fetch('/readyz')).status).toBe(200);

    await server.stop();
    const down = await gateway.fetch('/readyz');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', checks: { database: 'unavailable', redis: 'ok' } });

    await server.start();
    const back = await gateway.fetch('/readyz');
    expect(back.status).toBe(200);
    // And the data are served again from the same pool.
    expect((await gateway.admin('POST', '/accounts', { name: 'after the outage' })).status).toBe(201);
  });
});
