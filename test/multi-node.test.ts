// Two gateway processes on one PostgreSQL and one Redis, then on a Redis Cluster (SPEC §6): a change made through node A
// is honoured by node B's token endpoint from the next request and by B's Api-Key look-up cache within 100 ms (through
// Redis pub/sub; on a Cluster relayed between its nodes), and key creates spread over both nodes hold the limit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { redisUrl } from './support/gateway.js';
import { redisClusterDeployment } from './support/redis-deployments.js';
import { spawnKeymint, type KeymintProcess } from './support/keymint-process.js';
import { nodeCalls, until, type NodeKey } from './support/node-calls.js';
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
