// Two gateway processes on one PostgreSQL and one Redis, then on a Redis Cluster (SPEC §6): a change made through node A
// is honoured by node B's token endpoint from the next request and by B's Api-Key look-up cache within 100 ms (through
// Redis pub/sub; on a Cluster relayed between its nodes), key creates spread over both nodes hold the limit, and a key's
// rate limit, quota and tokenRateLimit (SPEC §7) hold exactly for calls spread over both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { countStatuses, redisUrl } from './support/gateway.js';
import { redisClusterDeployment } from './support/redis-deployments.js';
import { spawnKeymint, type KeymintProcess } from './support/keymint-process.js';
import { created, nodeCalls, until, type NodeKey } from './support/node-calls.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';
import { freePort } from './support/redis-server.js';
import { buildServerBundle, type ServerBundle } from './support/server-bundle.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const ROOT = `root_${randomBase62(40)}`;
const PEPPER = `pepper_${randomBase62(40)}`;
const KEYS_PER_ENVIRONMENT = 3;

const REDIS = [
  ['one Redis', redisUrl() ? { REDIS_URL: redisUrl()! } : {}],
  ['Redis Cluster', redisClusterDeployment().env],
].filter((deployment): deployment is [string, Record<string, string>] => Object.keys(deployment[1]!).length > 0);

// Whole processes: generous timeouts for a loaded machine.
describe.skipIf(!postgresUrl() || !redisUrl()).each(REDIS)('two gateway nodes on PostgreSQL and %s', { timeout: 60_000 }, (redisName, redisEnv) => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-two-nodes-'));
  let upstream: Upstream;
  let bundle: ServerBundle | undefined;
  let a: KeymintProcess;
  let b: KeymintProcess;

  beforeAll(async () => {
    let started: Upstream;
    let database: string;
    let ports: number[];
    [database, ports, started, bundle] = await Promise.all([
      createTestDatabase(),
      Promise.all([freePort(), freePort()]),
      startUpstream(),
      buildServerBundle(),
    ]);
    upstream = started;
    const prefix = `n${randomBase62(8)}`;
    // Both at once: they also race for the migrations and the first signing keys.
    [a, b] = ports.map((port) =>
      spawnKeymint({
        directory,
        port,
        entry: bundle!.entry,
        env: {
          KEYMINT_DATABASE: database,
          KEYMINT_ADMIN_TOKEN: ROOT,
          KEYMINT_SECRET_PEPPER: PEPPER,
          ...redisEnv,
          KEYMINT_REDIS_PREFIX: prefix,
          // The one address clients use (behind a load balancer): the issuer in every node's tokens.
          KEYMINT_PUBLIC_URL: 'https://keymint.example',
          KEYMINT_UPSTREAM_SANDBOX: upstream.url,
          KEYMINT_KEYS_PER_ENVIRONMENT: String(KEYS_PER_ENVIRONMENT),
          // Every mint signs anew, so a token shows which key a node signs with now.
          KEYMINT_ISSUANCE_CACHE: 'false',
        },
      }),
    ) as [KeymintProcess, KeymintProcess];
    await Promise.all([a.ready(), b.ready()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await upstream?.close();
    bundle?.remove();
    rmSync(directory, { recursive: true, force: true });
  });

  const calls = nodeCalls(ROOT);
  const { admin, mint, apiKeyCall, noticesHeard, newAccount, newKey } = calls;
  /** Waits until B's change feed carries A's notices. */
  const feedCarries = (accountId: string, keyId: string) => calls.feedCarries(a, b, accountId, keyId);

  it('a key disabled on A stops minting on B at once, and its Api-Key calls on B within 100 ms', async () => {
    const accountId = await newAccount(a);
    const key = await newKey(a, accountId);
    await feedCarries(accountId, key.id);
    // B's Api-Key look-up cache holds the key (a healthy feed lets it keep it for a minute).
    expect((await apiKeyCall(b, key)).status).toBe(200);
    expect((await mint(b, key)).status).toBe(200);
    const heardBefore = await noticesHeard(b);

    // The Api-Key path answers from B's cache until A's notice drops the entry.
    const { refusedAfterMs, callMs, refusedCallMs, staleCalls } = await calls.disableSeenBy(a, b, accountId, key);
    console.log(
      `two nodes on ${redisName}: a key disabled on A refused on B's Api-Key path ${refusedAfterMs.toFixed(1)} ms after A answered; ` +
        `${staleCalls} calls sent after that answer were served; a cached call takes ${callMs.toFixed(1)} ms, a refused one ${refusedCallMs.toFixed(1)} ms`,
    );
    // SPEC §6 asks for 100 ms; the bound is generous for a loaded machine, far below the minute the cache keeps an answer.
    expect(refusedAfterMs).toBeLessThan(2_000);
    // And it was B's feed that told it.
    expect(await noticesHeard(b)).toBeGreaterThan(heardBefore);
    // The token endpoint reads the key store: refused too.
    const refused = await mint(b, key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');

    // Enabled again on B: A mints and serves its Api-Key calls again.
    expect((await admin(b, 'POST', `/accounts/${accountId}/keys/${key.id}/enable`)).status).toBe(200);
    expect((await mint(a, key)).status).toBe(200);
    await until('the Api-Key call on A is served again', async () => ((await apiKeyCall(a, key)).status === 200 ? true : undefined), 5_000);
  });

  it('a key regenerated on B: its old secret is refused on A, the new one served', async () => {
    const accountId = await newAccount(b);
    const key = await newKey(b, accountId);
    await feedCarries(accountId, key.id);
    expect((await apiKeyCall(a, key)).status).toBe(200);

    const regenerated = await admin(b, 'POST', `/accounts/${accountId}/keys/${key.id}/regenerate`);
    expect(regenerated.status).toBe(200);
    const fresh = { ...key, ...((await regenerated.json()) as Omit<NodeKey, 'id'>) };

    expect((await mint(a, key)).status).toBe(401);
    expect((await mint(a, fresh)).status).toBe(200);
    await until('the old secret is refused on A', async () => ((await apiKeyCall(a, key)).status === 401 ? true : undefined), 2_000);
    expect((await apiKeyCall(a, fresh)).status).toBe(200);
  });

  // A node remembers a failure counter read under its limit for 100 ms (core/failure-limit.ts): failures counted on
  // the other node are seen by then.
  it("a client_id's failures on A refuse its right secret on B within 100 ms", async () => {
    const accountId = await newAccount(a);
    const key = await newKey(a, accountId);
    expect((await mint(b, key)).status).toBe(200);
    const readOnB = performance.now();
    // KEYMINT_AUTH_FAILURES_PER_CLIENT's default: 10 a minute.
    for (let guess = 0; guess < 10; guess++) expect((await mint(a, { ...key, applicationSecret: `${key.applicationSecret}x` })).status).toBe(401);
    const counted = performance.now();
    let served = 0;
    while (performance.now() - readOnB < 100) if ((await mint(b, key)).status === 200) served++;
    const refused = await mint(b, key);
    console.log(`two nodes on ${redisName}: B served ${served} right mints in the ${Math.max(0, 100 - (counted - readOnB)).toFixed(0)} ms left of its read's 100 ms after A counted the 10th failure`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toBe('slow_down');
  });

  it('a signing key rotated on A is what B signs with, and both publish it', async () => {
    const accountId = await newAccount(a);
    const key = await newKey(a, accountId);
    const rotated = await admin(a, 'POST', '/environments/sandbox/signing-keys/rotate');
    expect(rotated.status, await rotated.clone().text()).toBe(201);
    const { kid } = (await rotated.json()) as { kid: string };
    const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    // B holds its keyring for a minute; A's notice makes it read the keys again.
    await until('B signs with the key rotated on A', async () => {
      const token = ((await (await mint(b, key)).json()) as { access_token: string }).access_token;
      return kidOf(token) === kid ? true : undefined;
    }, 2_000);
    const kids = async (node: KeymintProcess) =>
      ((await (await fetch(`${node.url}/sandbox/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((jwk) => jwk.kid).sort();
    expect(await kids(b)).toContain(kid);
    expect(await kids(a)).toEqual(await kids(b));
  });

  /** A key with limits (SPEC §7), created on `node`. */
  async function limitedKey(node: KeymintProcess, limits: Record<string, unknown>): Promise<NodeKey> {
    return created<NodeKey>(await admin(node, 'POST', `/accounts/${await newAccount(node)}/keys`, { environment: 'sandbox', name: `limited-${randomBase62(6)}`, ...limits }));
  }

  /** 200 proxied calls at once, alternating nodes and, per node, a session token minted on B and the Api-Key header. */
  async function callsSpreadOverBoth(key: NodeKey): Promise<Response[]> {
    const minted = await mint(b, key);
    expect(minted.status).toBe(200);
    const { access_token: token } = (await minted.json()) as { access_token: string };
    return Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${(i % 2 ? a : b).url}/sandbox/api/limits/${i}`, {
          headers: { authorization: i % 4 < 2 ? `Bearer ${token}` : `Api-Key ${key.applicationSecret}` },
        }),
      ),
    );
  }

  async function expectRefusal(responses: Response[], code: string): Promise<void> {
    const refused = responses.find((response) => response.status === 429)!;
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ status: 429, code });
    await Promise.all(responses.filter((response) => !response.bodyUsed).map((response) => response.body?.cancel()));
  }

  it('a rate limit of 50 passes exactly 50 of 200 concurrent calls spread over both processes', { timeout: 120_000 }, async () => {
    const key = await limitedKey(a, { rateLimit: { requests: 50, windowSeconds: 3600 } });
    const before = upstream.seen.length;
    const responses = await callsSpreadOverBoth(key);
    expect(countStatuses(responses)).toEqual({ 200: 50, 429: 150 });
    expect(upstream.seen.length - before).toBe(50);
    // Both processes passed some: the counter is the one in Redis, not a count per process.
    const passedOn = new Set(responses.filter((response) => response.status === 200).map((response) => new URL(response.url).port));
    expect(passedOn.size).toBe(2);
    await expectRefusal(responses, 'rate_limited');
  });

  it('a quota of 50 passes exactly 50 of 200 concurrent calls spread over both processes', { timeout: 120_000 }, async () => {
    const key = await limitedKey(b, { quota: { requests: 50, period: 'month' } });
    const before = upstream.seen.length;
    const responses = await callsSpreadOverBoth(key);
    expect(countStatuses(responses)).toEqual({ 200: 50, 429: 150 });
    expect(upstream.seen.length - before).toBe(50);
    await expectRefusal(responses, 'quota_exceeded');
  });

  it('a tokenRateLimit of 50 mints exactly 50 of 200 concurrent requests spread over both processes', { timeout: 120_000 }, async () => {
    const key = await limitedKey(a, { tokenRateLimit: { requests: 50, windowSeconds: 3600 } });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => mint(i % 2 ? a : b, key)));
    expect(countStatuses(answers)).toEqual({ 200: 50, 429: 150 });
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as { access_token?: string; error?: string }[];
    const tokens = new Set(bodies.map((body) => body.access_token).filter(Boolean));
    expect(tokens.size).toBe(50);
    expect(bodies.filter((body) => body.error === 'slow_down')).toHaveLength(150);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-policy')).toBe('"token-rate";q=50;w=3600');
  });

  it('key creates spread over both nodes at once hold the per-environment limit', async () => {
    const accountId = await newAccount(a);
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => admin(i % 2 === 0 ? a : b, 'POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: `race-${i}` })),
    );
    const statuses = attempts.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(KEYS_PER_ENVIRONMENT);
    expect(statuses.filter((status) => status !== 201).every((status) => status === 409)).toBe(true);
    const listed = (await (await admin(b, 'GET', `/accounts/${accountId}/keys?environment=sandbox`)).json()) as { items: unknown[] };
    expect(listed.items).toHaveLength(KEYS_PER_ENVIRONMENT);
  });
});
