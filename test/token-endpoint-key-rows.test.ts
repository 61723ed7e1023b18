// The token endpoint's kept key rows (core/key-rows.ts) on the real stores: two gateways on one database and one Redis,
// the second without the change feed, so only the key's mark in Redis can tell it of a change made through the first.
// It must honour every change from the next request (SPEC §6) while reading PostgreSQL once per key, not per token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type KeymintApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { KeyStore } from '../src/ports/key-store.js';
import { createNodeDeps } from '../src/runtime/node-deps.js';
import { nextId } from '../src/ports/testing/fixtures.js';
import { basic, redisUrl } from './support/gateway.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { until } from './support/node-calls.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';
import { silentLogger } from '../src/ports/runtime.js';

const ROOT = 'root_key_rows_test_token_0123456789abcdef';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  app: KeymintApp;
  /** How often this node read a key by application ID from the database. */
  reads(): number;
}

interface NodeOptions {
  /** This node's Redis: the run's (default), one reached through a relay a test can cut, or none. */
  redis?: string | null;
  /** Whether it hears the other nodes' change notices (default true). */
  feed?: boolean;
}

async function startNode(database: string, prefix: string, options: NodeOptions = {}): Promise<Node> {
  const redis = options.redis === undefined ? redisUrl()! : options.redis;
  const env = {
    KEYMINT_DATABASE: database,
    KEYMINT_PUBLIC_URL: 'http://keymint.test',
    KEYMINT_ADMIN_TOKEN: ROOT,
    KEYMINT_SECRET_PEPPER: 'key-rows-test-pepper-0123456789abcdef',
    KEYMINT_REDIS_PREFIX: prefix,
    ...(redis !== null && { REDIS_URL: redis }),
  };
  const opened = await createNodeDeps(loadConfig(env), silentLogger);
  cleanups.push(() => opened.close());
  let reads = 0;
  const counted = new Proxy(opened.deps.keyStore, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (name === 'findKeyByApplicationId') {
        return (applicationId: string) => {
          reads++;
          return target.findKeyByApplicationId(applicationId);
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  }) as KeyStore;
  const app = await createApp({ ...opened.deps, keyStore: counted, ...(options.feed === false && { changeFeed: undefined }) });
  return { app, reads: () => reads };
}

const admin = (node: Node, method: string, path: string, body?: unknown) =>
  node.app.request(`/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ROOT}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const mint = (node: Node, key: { applicationId: string; applicationSecret: string }, scope?: string) =>
  node.app.request('/sandbox/oauth/token', {
    method: 'POST',
    headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials${scope ? `&scope=${scope}` : ''}`,
  });

async function newKey(node: Node) {
  const account = (await (await admin(node, 'POST', '/accounts', { name: 'Acme' })).json()) as { id: string };
  const created = await admin(node, 'POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'partner', scopes: ['read', 'write'] });
  expect(created.status).toBe(201);
  const key = (await created.json()) as { id: string; applicationId: string; applicationSecret: string };
  return { accountId: account.id, key, path: `/accounts/${account.id}/keys/${key.id}` };
}

describe.skipIf(!redisUrl() || !postgresUrl())('the token endpoint on PostgreSQL with Redis', () => {
  /** Node A as configured; node B without the change feed, so only the key's mark can tell it of A's changes. */
  async function twoNodes(a: NodeOptions = {}) {
    const database = await createTestDatabase();
    const prefix = nextId('rows');
    return [await startNode(database, prefix, a), await startNode(database, prefix, { feed: false })] as const;
  }

  it('mints from a kept row: one database read per application ID on a node, however many tokens', async () => {
    const [a, b] = await twoNodes();
    const { key } = await newKey(a);
    for (let token = 0; token < 20; token++) expect((await mint(b, key)).status).toBe(200);
    // The first request reads the row after the application ID's mark and keeps it.
    expect(b.reads()).toBe(1);
  });

  it('honours a disable, a PATCH, a regenerate and a delete made through another node from the next request', async () => {
    const [a, b] = await twoNodes();
    const { key, path } = await newKey(a);
    for (let token = 0; token < 3; token++) expect((await mint(b, key)).status).toBe(200);

    expect((await admin(a, 'POST', `${path}/disable`)).status).toBe(200);
    expect((await mint(b, key)).status).toBe(401);
    expect((await admin(a, 'POST', `${path}/enable`)).status).toBe(200);
    expect((await mint(b, key)).status).toBe(200);

    expect((await mint(b, key, 'write')).status).toBe(200);
    expect((await admin(a, 'PATCH', path, { scopes: ['read'] })).status).toBe(200);
    const narrowed = await mint(b, key, 'write');
    expect(narrowed.status).toBe(400);
    expect(((await narrowed.json()) as { error: string }).error).toBe('invalid_scope');

    const regenerated = await admin(a, 'POST', `${path}/regenerate`);
    expect(regenerated.status).toBe(200);
    const fresh = { ...key, ...((await regenerated.json()) as { applicationSecret: string }) };
    expect((await mint(b, key)).status).toBe(401);
    expect((await mint(b, fresh)).status).toBe(200);

    expect((await admin(a, 'DELETE', path)).status).toBe(204);
    expect((await mint(b, fresh)).status).toBe(401);
  });

  it('refuses a change, nothing written, through a node that cannot reach Redis to mark it', async () => {
    const target = new URL(redisUrl()!);
    const relay = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    cleanups.push(() => relay.close());
    const [a, b] = await twoNodes({ redis: `redis://${relay.host}:${relay.port}` });
    const { key, path } = await newKey(a);
    for (let token = 0; token < 3; token++) expect((await mint(b, key)).status).toBe(200);

    relay.cut();
    const refused = await admin(a, 'POST', `${path}/disable`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // Not disabled: B mints, and the key reads as active.
    expect((await mint(b, key)).status).toBe(200);
    expect(((await (await admin(b, 'GET', path)).json()) as { status: string }).status).toBe('active');

    relay.restore();
    await until('A reaches Redis again', async () => ((await admin(a, 'POST', `${path}/disable`)).status === 200 ? true : undefined), 10_000);
    expect((await mint(b, key)).status).toBe(401);
  });
});

describe.skipIf(!redisUrl())('the token endpoint on SQLite with Redis', () => {
  it('honours at the next request a change made to the file by a process without Redis (the CLI without REDIS_URL)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keymint-key-rows-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const database = join(directory, 'keymint.db');
    const gateway = await startNode(database, nextId('rows'));
    const cli = await startNode(database, nextId('rows'), { redis: null });
    const { key, path } = await newKey(gateway);
    for (let token = 0; token < 3; token++) expect((await mint(gateway, key)).status).toBe(200);
    expect((await admin(cli, 'POST', `${path}/disable`)).status).toBe(200);
    expect((await mint(gateway, key)).status).toBe(401);
  });
});
