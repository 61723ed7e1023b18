// The database (SQLite) unavailable under a running gateway: minting and the admin API answer 503 in their own
// formats (SPEC §6), never a 500; JWKS and stateless verification go on from memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../src/adapters/node/sqlite-database.js';
import { SqlSigningKeyStore } from '../src/adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore } from '../src/adapters/sql/sql-store.js';
import { SqlWebhookStore } from '../src/adapters/sql/sql-webhook-store.js';
import { createApp, type KeymintApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createJsonLogger } from '../src/runtime/logger.js';
import { createNodeDeps } from '../src/runtime/node-deps.js';
import { controlledClock } from '../src/ports/testing/fixtures.js';
import type { Clock } from '../src/ports/runtime.js';
import { basic } from './support/gateway.js';

const ROOT = 'root_database_outage_test_token_0123456789';

interface Harness {
  app: KeymintApp;
  path: string;
  logs: string[];
  /** The connection the gateway's key and signing-key stores use. */
  database: ReturnType<typeof openSqliteDatabase>;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  exchange(applicationId: string, secret: string): Promise<Response>;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A gateway (in-process sessions) whose stores run on a SQLite connection this test holds. */
async function startHarness(busyTimeoutMs?: number, clock?: Clock): Promise<Harness> {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-db-outage-'));
  const path = join(directory, 'keymint.db');
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  const config = loadConfig({ KEYMINT_DATABASE: path, KEYMINT_PUBLIC_URL: 'http://keymint.test', KEYMINT_ADMIN_TOKEN: ROOT });
  const logs: string[] = [];
  const node = await createNodeDeps(config, createJsonLogger((line) => logs.push(line)));
  cleanups.push(() => node.close());
  const database = openSqliteDatabase(path, { busyTimeoutMs });
  cleanups.push(() => database.close());
  const app = await createApp({ ...node.deps, ...(clock && { clock }), keyStore: new SqlKeyStore(database), signingKeyStore: new SqlSigningKeyStore(database), webhookStore: new SqlWebhookStore(database) });
  return {
    app,
    path,
    logs,
    database,
    admin: async (method, route, body) =>
      app.request(`/admin/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${ROOT}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    exchange: async (applicationId, secret) =>
      app.request('/sandbox/oauth/token', {
        method: 'POST',
        headers: { authorization: basic(applicationId, secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),
  };
}

async function accountWithKey(harness: Harness) {
  const account = (await (await harness.admin('POST', '/accounts', { name: 'Acme' })).json()) as { id: string };
  const created = await harness.admin('POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'ci', scopes: ['read'] });
  expect(created.status).toBe(201);
  const key = (await created.json()) as { applicationId: string; applicationSecret: string };
  return { accountId: account.id, key };
}

describe('a database outage', () => {
  it('answers 503 temporarily_unavailable on the token endpoint and 503 problem JSON on the admin API; JWKS goes on', async () => {
    const harness = await startHarness();
    const { accountId, key } = await accountWithKey(harness);
    const minted = await harness.exchange(key.applicationId, key.applicationSecret);
    expect(minted.status).toBe(200);
    const { access_token: token } = (await minted.json()) as { access_token: string };
    const jwks = (await (await harness.app.request('/sandbox/.well-known/jwks.json')).json()) as JSONWebKeySet;

    // The gateway's database connection becomes unusable (better-sqlite3: "The database connection is not open").
    harness.database.close();

    const refused = await harness.exchange(key.applicationId, key.applicationSecret);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'the database is unavailable; retry shortly',
    });

    for (const [method, route, body] of [
      ['GET', `/accounts/${accountId}/keys`, undefined],
      ['POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'second' }],
      ['POST', '/accounts', { name: 'Other' }],
    ] as const) {
      const response = await harness.admin(method, route, body);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ status: 503, detail: 'the database is unavailable; retry shortly' });
    }

    // Signing keys are held in memory: the JWKS still answers, and earlier tokens still verify against it.
    const served = await harness.app.request('/sandbox/.well-known/jwks.json');
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(jwks);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'http://keymint.test/sandbox' });
    expect(payload.sub).toBe(key.applicationId);

    const metrics = await (await harness.app.request('/metrics')).text();
    expect(metrics).toMatch(/keymint_store_errors_total\{store="sqlite"\} [1-9]/);
    expect(harness.logs.some((line) => line.includes('"database unavailable"'))).toBe(true);
  });

  it('keeps serving the JWKS and verifying tokens from the last keys read when the outage outlasts their reload time', async () => {
    const clock = controlledClock();
    const harness = await startHarness(undefined, clock);
    const { key } = await accountWithKey(harness);
    const minted = (await (await harness.exchange(key.applicationId, key.applicationSecret)).json()) as { access_token: string };
    const jwks = (await (await harness.app.request('/sandbox/.well-known/jwks.json')).json()) as JSONWebKeySet;
    harness.database.close();

    // Past every reload deadline, more than once: each reload fails, and the keys read before stay in use.
    for (const step of [61_000, 61_000, 5_000]) {
      await clock.advance(step);
      const served = await harness.app.request('/sandbox/.well-known/jwks.json');
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual(jwks);
      const info = await harness.app.request('/sandbox/oauth/tokeninfo', { headers: { authorization: `Bearer ${minted.access_token}` } });
      expect(info.status).toBe(200);
    }
    expect((await harness.exchange(key.applicationId, key.applicationSecret)).status).toBe(503);
  });

  it('answers 503 to admin writes while another process holds the write lock past the busy timeout; minting goes on', async () => {
    const harness = await startHarness(50);
    const { accountId, key } = await accountWithKey(harness);
    // The first exchange creates the environment's signing key (a write); later ones only read.
    expect((await harness.exchange(key.applicationId, key.applicationSecret)).status).toBe(200);
    const other = new Database(harness.path);
    cleanups.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');

    const write = await harness.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'second' });
    expect(write.status).toBe(503);
    expect(await write.json()).toMatchObject({ status: 503, detail: 'the database is unavailable; retry shortly' });
    // Reads are not blocked by a writer (WAL): the key list and the token endpoint still answer.
    expect((await harness.admin('GET', `/accounts/${accountId}/keys`)).status).toBe(200);
    expect((await harness.exchange(key.applicationId, key.applicationSecret)).status).toBe(200);

    other.exec('ROLLBACK');
    expect((await harness.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'second' })).status).toBe(201);
  });
});
