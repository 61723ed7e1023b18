// The token endpoint's kept key rows (core/key-rows.ts) on the real stores: two gateways on one database and one Redis,
// the second without the change feed, so only the key's mark in Redis can tell it of a change made through the first.
// It must honour every change from the next request (SPEC §6) while reading the database once per key, not per token.
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
import { createTestDatabase, postgresUrl } from './support/postgres.js';

const ROOT = 'root_key_rows_test_token_0123456789abcdef';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  app: KeymintApp;
  /** How often this node read a key by application ID from the database. */
  reads(): number;
}

async function startNodes(database: string): Promise<[Node, Node]> {
  const env = {
    KEYMINT_DATABASE: database,
    KEYMINT_PUBLIC_URL: 'http://keymint.test',
    KEYMINT_ADMIN_TOKEN: ROOT,
    KEYMINT_SECRET_PEPPER: 'key-rows-test-pepper-0123456789abcdef',
    REDIS_URL: redisUrl()!,
    KEYMINT_REDIS_PREFIX: nextId('rows'),
  };
  const node = async (withFeed: boolean): Promise<Node> => {
    const opened = await createNodeDeps(loadConfig(env), quiet);
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
    const app = await createApp({ ...opened.deps, keyStore: counted, ...(withFeed ? {} : { changeFeed: undefined }) });
    return { app, reads: () => reads };
  };
  return [await node(true), await node(false)];
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

const databases: [string, () => Promise<string> | string][] = [
  ['SQLite', () => {
    const directory = mkdtempSync(join(tmpdir(), 'keymint-key-rows-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    return join(directory, 'keymint.db');
  }],
  ...(postgresUrl() ? [['PostgreSQL', createTestDatabase] as [string, () => Promise<string>]] : []),
];

describe.skipIf(!redisUrl()).each(databases)('the token endpoint on %s with Redis', (_name, database) => {
  async function keyOnA() {
    const [a, b] = await startNodes(await database());
    const account = (await (await admin(a, 'POST', '/accounts', { name: 'Acme' })).json()) as { id: string };
    const created = await admin(a, 'POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'partner', scopes: ['read', 'write'] });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; applicationId: string; applicationSecret: string };
    return { a, b, accountId: account.id, key };
  }

  it('mints from a kept row: one database read per key on a node, however many tokens', async () => {
    const { b, key } = await keyOnA();
    for (let token = 0; token < 20; token++) expect((await mint(b, key)).status).toBe(200);
    // The first request learns the key's id; the second reads the row after its mark and keeps it.
    expect(b.reads()).toBe(2);
  });

  it('honours a disable, a PATCH, a regenerate and a delete made through another node from the next request', async () => {
    const { a, b, accountId, key } = await keyOnA();
    const path = `/accounts/${accountId}/keys/${key.id}`;
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
});
