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
import { proofKey, signProof } from './support/dpop.js';
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
  /** How often this node read a key's mark from Redis (a command of its own). */
  markReads(): number;
}

interface NodeOptions {
  /** This node's Redis: the run's (default), one reached through a relay a test can cut, or none. */
  redis?: string | null;
  /** Whether it hears the other nodes' change notices (default true). */
  feed?: boolean;
  /** Whether it reuses tokens (KEYMINT_ISSUANCE_CACHE, default on). */
  issuanceCache?: boolean;
}

async function startNode(database: string, prefix: string, options: NodeOptions = {}): Promise<Node> {
  const redis = options.redis === undefined ? redisUrl()! : options.redis;
  const env = {
    KEYMINT_DATABASE: database,
    KEYMINT_PUBLIC_URL: 'http://keymint.test',
    KEYMINT_ADMIN_TOKEN: ROOT,
    KEYMINT_SECRET_PEPPER: 'key-rows-test-pepper-0123456789abcdef',
    KEYMINT_REDIS_PREFIX: prefix,
    ...(options.issuanceCache === false && { KEYMINT_ISSUANCE_CACHE: 'false' }),
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
  let markReads = 0;
  const versions = opened.deps.keyVersions;
  const countedVersions = versions && {
    ...versions,
    holdKey: versions.holdKey.bind(versions),
    releaseKey: versions.releaseKey.bind(versions),
    beginChange: versions.beginChange.bind(versions),
    change: versions.change.bind(versions),
    read(environment: string, keyId: string) {
      markReads++;
      return versions.read(environment, keyId);
    },
  };
  const app = await createApp({
    ...opened.deps,
    keyStore: counted,
    ...(countedVersions && { keyVersions: countedVersions }),
    ...(options.feed === false && { changeFeed: undefined }),
  });
  return { app, reads: () => reads, markReads: () => markReads };
}

const admin = (node: Node, method: string, path: string, body?: unknown) =>
  node.app.request(`/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ROOT}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const mint = (node: Node, key: { applicationId: string; applicationSecret: string }, scope?: string, headers: Record<string, string> = {}) =>
  node.app.request('/sandbox/oauth/token', {
    method: 'POST',
    headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded', ...headers },
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
  async function twoNodes(a: NodeOptions = {}, b: NodeOptions = {}) {
    const database = await createTestDatabase();
    const prefix = nextId('rows');
    return [await startNode(database, prefix, a), await startNode(database, prefix, { ...b, feed: false })] as const;
  }

  it('mints from a kept row: two database reads and one mark read per application ID on a node, however many tokens', async () => {
    const [a, b] = await twoNodes();
    const { key } = await newKey(a);
    for (let token = 0; token < 20; token++) expect((await mint(b, key)).status).toBe(200);
    // The first request reads the row to learn its key, then the key's mark, then the row it keeps. Later tokens
    // check the mark in the session write itself: no read of their own.
    expect(b.reads()).toBe(2);
    expect(b.markReads()).toBe(1);
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

  it('answers from the changed row what a kept row would have refused', async () => {
    const [a, b] = await twoNodes();
    const { key, path } = await newKey(a);
    expect((await admin(a, 'PATCH', path, { scopes: ['read'] })).status).toBe(200);
    expect((await mint(b, key, 'write')).status).toBe(400);
    expect((await mint(b, key)).status).toBe(200);
    // Widened through A: B's kept row would refuse the scope, and its refusal is checked before it is answered.
    expect((await admin(a, 'PATCH', path, { scopes: ['read', 'write'] })).status).toBe(200);
    const widened = await mint(b, key, 'write');
    expect(widened.status).toBe(200);
    expect(((await widened.json()) as { scope: string }).scope).toBe('write');
    // A minting limit lifted through A: B's kept row's limit of one would refuse the next token.
    expect((await admin(a, 'PATCH', path, { tokenRateLimit: { requests: 1, windowSeconds: 60 } })).status).toBe(200);
    expect((await mint(b, key)).status).toBe(200);
    expect((await mint(b, key)).status).toBe(429);
    expect((await admin(a, 'PATCH', path, { tokenRateLimit: null })).status).toBe(200);
    expect((await mint(b, key)).status).toBe(200);
  });

  it('charges the minting limit once for a request answered again after a change through another node', async () => {
    const [a, b] = await twoNodes();
    const { key, path } = await newKey(a);
    expect((await admin(a, 'PATCH', path, { tokenRateLimit: { requests: 2, windowSeconds: 60 } })).status).toBe(200);
    expect((await mint(b, key)).status).toBe(200);
    // Renamed through A: B's kept row is stale, and the request is answered from the row read then, charged once.
    expect((await admin(a, 'PATCH', path, { name: 'renamed' })).status).toBe(200);
    expect((await mint(b, key)).status).toBe(200);
    expect((await mint(b, key)).status).toBe(429);
  });

  it('exchanges a token from a kept row, and from one a change made stale, saving each derived session once', async () => {
    const [a, b] = await twoNodes();
    const { key, path } = await newKey(a);
    const subject = ((await (await mint(b, key)).json()) as { access_token: string }).access_token;
    const exchange = () =>
      b.app.request('/sandbox/oauth/token', {
        method: 'POST',
        headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: subject,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          scope: 'read',
        }).toString(),
      });
    // The kept row's mark stands: the derived session's script checks it alongside the subject's derived set.
    expect((await exchange()).status).toBe(200);
    expect((await admin(a, 'PATCH', path, { name: 'renamed' })).status).toBe(200);
    expect((await exchange()).status).toBe(200);
    const revoked = await admin(a, 'POST', `${path}/revoke-sessions`);
    expect(((await revoked.json()) as { revokedSessions: number }).revokedSessions).toBe(3);
  });

  it('answers a DPoP-bound token from the changed row with the proof it verified once, and saves no session for the stale one', async () => {
    // No reusable tokens on B: every token's session write is the one that checks the mark.
    const [a, b] = await twoNodes({}, { issuanceCache: false });
    const { key, path } = await newKey(a);
    expect((await mint(b, key)).status).toBe(200);
    // The kept row's scopes still allow `write`: the session write finds the mark moved, and the request is
    // answered again from the row read now, with the same proof (its jti spent once, by the first answer).
    expect((await admin(a, 'PATCH', path, { scopes: ['write'] })).status).toBe(200);
    const holder = await proofKey();
    const dpop = await signProof(holder, { htm: 'POST', htu: 'http://keymint.test/sandbox/oauth/token' });
    const minted = await mint(b, key, undefined, { dpop });
    expect(minted.status).toBe(200);
    const body = (await minted.json()) as { token_type: string; scope: string };
    expect(body).toMatchObject({ token_type: 'DPoP', scope: 'write' });
    // A's requireDpop: B's kept row would mint a bearer token; the session write refuses it, and the answer is A's.
    expect((await admin(a, 'PATCH', path, { requireDpop: true })).status).toBe(200);
    const bearer = await mint(b, key);
    expect(bearer.status).toBe(400);
    expect(((await bearer.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    // Two tokens were answered, so the key has two sessions: none was saved for the signatures made from the stale row.
    const revoked = await admin(a, 'POST', `${path}/revoke-sessions`);
    expect(((await revoked.json()) as { revokedSessions: number }).revokedSessions).toBe(2);
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
