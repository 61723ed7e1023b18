// Per-key limits (SPEC §7) over real HTTP on real Redis: set on create and PATCH, shown in the key's JSON, enforced
// exactly on both proxy paths and at the token endpoint (one gateway and two on the same Redis and SQLite), with the
// RateLimit fields and Retry-After; quotas roll over with the UTC day; Redis down fails closed for limited keys only.
// Two gateway processes on PostgreSQL: test/multi-node.test.ts.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { expectProblem } from './support/admin-auth-suite.js';
import { countStatuses, redisUrl, SERVER_PATHS, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { createTestClock } from './support/oauth-calls.js';
import { freePort, startRedisServer } from './support/redis-server.js';
import { startUpstream, type Upstream } from './support/upstream.js';

interface Limits {
  rateLimit?: { requests: number; windowSeconds: number } | null;
  quota?: { requests: number; period: 'day' | 'month' } | null;
  tokenRateLimit?: { requests: number; windowSeconds: number } | null;
}

async function createLimitedKey(gateway: Gateway, accountId: string, limits: Limits): Promise<ApiKeyWithSecret & Limits> {
  const response = await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: `k${randomBase62(6)}`, ...limits });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as ApiKeyWithSecret & Limits;
}

describe.skipIf(!redisUrl())('limits on the admin API', () => {
  let gateway: Gateway;
  let accountId: string;
  beforeAll(async () => {
    gateway = await startGateway({ sessions: 'redis', env: { KEYMINT_KEYS_PER_ENVIRONMENT: '100' } });
    accountId = (await gateway.createAccount()).id;
  });
  afterAll(() => gateway?.close());

  it('sets limits on create, changes and removes them with PATCH, and shows them in the key', async () => {
    const plain = await createLimitedKey(gateway, accountId, {});
    expect(plain).toMatchObject({ rateLimit: null, quota: null, tokenRateLimit: null });
    const key = await createLimitedKey(gateway, accountId, {
      rateLimit: { requests: 50, windowSeconds: 60 },
      quota: { requests: 10_000, period: 'month' },
    });
    expect(key).toMatchObject({ rateLimit: { requests: 50, windowSeconds: 60 }, quota: { requests: 10_000, period: 'month' }, tokenRateLimit: null });

    const path = `/accounts/${accountId}/keys/${key.id}`;
    const patched = await gateway.admin('PATCH', path, { rateLimit: null, tokenRateLimit: { requests: 5, windowSeconds: 1 } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ rateLimit: null, quota: { requests: 10_000, period: 'month' }, tokenRateLimit: { requests: 5, windowSeconds: 1 } });
    expect(await (await gateway.admin('GET', path)).json()).toMatchObject({ rateLimit: null, tokenRateLimit: { requests: 5, windowSeconds: 1 } });
  });

  it('refuses limits out of bounds or malformed with 400 problem JSON naming the field', async () => {
    const key = await createLimitedKey(gateway, accountId, {});
    const path = `/accounts/${accountId}/keys/${key.id}`;
    for (const [body, field] of [
      [{ rateLimit: { requests: 0, windowSeconds: 60 } }, 'rateLimit.requests'],
      [{ rateLimit: { requests: 1e12, windowSeconds: 60 } }, 'rateLimit.requests'],
      [{ rateLimit: { requests: 10, windowSeconds: 0 } }, 'rateLimit.windowSeconds'],
      [{ rateLimit: { requests: 10, windowSeconds: 86_401 } }, 'rateLimit.windowSeconds'],
      [{ rateLimit: { requests: 1.5, windowSeconds: 60 } }, 'rateLimit.requests'],
      [{ quota: { requests: 1e12, period: 'day' } }, 'quota.requests'],
      [{ quota: { requests: 10, period: 'week' } }, 'quota.period'],
      [{ tokenRateLimit: { requests: 10 } }, 'tokenRateLimit.windowSeconds'],
      [{ tokenRateLimit: { requests: 10, windowSeconds: 60, burst: 3 } }, 'tokenRateLimit'],
      [{ quota: '100/day' }, 'quota'],
    ] as const) {
      const problem = await expectProblem(await gateway.admin('PATCH', path, body), 400);
      expect(problem.code).toBe('invalid_request');
      expect((problem.issues as { path: string }[]).map((issue) => issue.path)).toContain(field);
    }
    // The largest allowed values are kept as given.
    const largest = await gateway.admin('PATCH', path, {
      rateLimit: { requests: 1_000_000, windowSeconds: 86_400 },
      quota: { requests: 1_000_000_000, period: 'day' },
    });
    expect(await largest.json()).toMatchObject({ rateLimit: { requests: 1_000_000 }, quota: { requests: 1_000_000_000 } });
  });
});

describe.skipIf(!redisUrl()).each(SERVER_PATHS)('limits on the proxy, %s', (_name, server) => {
  let upstream: Upstream;
  let gateway: Gateway;
  let accountId: string;
  const clock = createTestClock({ frozen: true });

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({ sessions: 'redis', server, clock, env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url, KEYMINT_KEYS_PER_ENVIRONMENT: '100' } });
    accountId = (await gateway.createAccount()).id;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('passes exactly 50 of 200 concurrent calls against a rate limit of 50, session tokens and Api-Key together', { timeout: 120_000 }, async () => {
    const key = await createLimitedKey(gateway, accountId, { rateLimit: { requests: 50, windowSeconds: 3600 } });
    const token = await gateway.mint('sandbox', key);
    const before = upstream.seen.length;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        gateway.fetch(`/sandbox/api/items/${i}`, {
          headers: i % 2 ? { authorization: `Bearer ${token}` } : { 'api-key': key.applicationSecret },
        }),
      ),
    );
    expect(countStatuses(responses)).toEqual({ 200: 50, 429: 150 });
    expect(upstream.seen.length - before).toBe(50);
    const refused = responses.find((response) => response.status === 429)!;
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    // The clock stands still: the next call is 72 s away (3600 s / 50).
    expect(refused.headers.get('retry-after')).toBe('72');
    expect(refused.headers.get('ratelimit-policy')).toBe('"rate";q=50;w=3600');
    expect(refused.headers.get('ratelimit')).toBe('"rate";r=0;t=72');
    expect(await refused.json()).toMatchObject({
      type: 'urn:keymint:problem:rate_limited',
      status: 429,
      code: 'rate_limited',
      'violated-policies': ['rate'],
    });
    await Promise.all(responses.filter((response) => !response.bodyUsed).map((response) => response.body?.cancel()));
  });

  it('carries the RateLimit fields on answers within the limit, and none for a key without limits', async () => {
    const key = await createLimitedKey(gateway, accountId, { rateLimit: { requests: 5, windowSeconds: 60 } });
    const headers = { 'api-key': key.applicationSecret };
    const first = await gateway.fetch('/sandbox/api/a', { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"rate";q=5;w=60');
    expect(first.headers.get('ratelimit')).toBe('"rate";r=4;t=12');
    expect(first.headers.get('retry-after')).toBeNull();
    // The upstream's own 404 carries them too.
    const notFound = await gateway.fetch('/sandbox/api/status/404', { headers });
    expect(notFound.status).toBe(404);
    // Two of five used: the next one is back in 12 s (60 s / 5), whatever else is still out.
    expect(notFound.headers.get('ratelimit')).toBe('"rate";r=3;t=12');

    const free = await createLimitedKey(gateway, accountId, {});
    const unlimited = await gateway.fetch('/sandbox/api/a', { headers: { 'api-key': free.applicationSecret } });
    expect(unlimited.status).toBe(200);
    expect(unlimited.headers.get('ratelimit-policy')).toBeNull();
    expect(unlimited.headers.get('ratelimit')).toBeNull();
  });

  it('refuses calls past a day quota with quota_exceeded until the next UTC day', async () => {
    const key = await createLimitedKey(gateway, accountId, { quota: { requests: 3, period: 'day' } });
    const headers = { 'api-key': key.applicationSecret };
    for (let i = 0; i < 3; i++) expect((await gateway.fetch('/sandbox/api/q', { headers })).status).toBe(200);
    const refused = await gateway.fetch('/sandbox/api/q', { headers });
    expect(refused.status).toBe(429);
    const untilMidnight = Math.ceil((86_400_000 - (clock.now() % 86_400_000)) / 1000);
    expect(refused.headers.get('retry-after')).toBe(String(untilMidnight));
    expect(refused.headers.get('ratelimit-policy')).toBe('"quota";q=3;w=86400');
    expect(await refused.json()).toMatchObject({ code: 'quota_exceeded', 'violated-policies': ['quota'] });
    clock.advance(untilMidnight);
    expect((await gateway.fetch('/sandbox/api/q', { headers })).status).toBe(200);
  });

  it('applies a PATCHed limit to the next call, and a removed one no more', async () => {
    const key = await createLimitedKey(gateway, accountId, {});
    const token = await gateway.mint('sandbox', key);
    const auth = { authorization: `Bearer ${token}` };
    const path = `/accounts/${accountId}/keys/${key.id}`;
    expect((await gateway.fetch('/sandbox/api/p', { headers: auth })).status).toBe(200);
    expect((await gateway.admin('PATCH', path, { rateLimit: { requests: 1, windowSeconds: 3600 } })).status).toBe(200);
    expect((await gateway.fetch('/sandbox/api/p', { headers: auth })).status).toBe(200);
    expect((await gateway.fetch('/sandbox/api/p', { headers: auth })).status).toBe(429);
    expect((await gateway.admin('PATCH', path, { rateLimit: null })).status).toBe(200);
    expect((await gateway.fetch('/sandbox/api/p', { headers: auth })).status).toBe(200);
  });
});

describe.skipIf(!redisUrl())('limits at the token endpoint and across two gateways', () => {
  let upstream: Upstream;
  let first: Gateway;
  let second: Gateway;
  let accountId: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    const env = { KEYMINT_UPSTREAM_SANDBOX: upstream.url, KEYMINT_REDIS_PREFIX: `g${randomBase62(8)}`, KEYMINT_KEYS_PER_ENVIRONMENT: '100' };
    first = await startGateway({ sessions: 'redis', env });
    // The same SQLite file, Redis keys and public URL (so the same issuer): two gateways of one deployment.
    second = await startGateway({ sessions: 'redis', directory: first.directory, env: { ...env, KEYMINT_PUBLIC_URL: first.url } });
    accountId = (await first.createAccount()).id;
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await upstream?.close();
  });

  it('passes exactly 50 of 200 concurrent calls spread over two gateways', { timeout: 120_000 }, async () => {
    const key = await createLimitedKey(first, accountId, { rateLimit: { requests: 50, windowSeconds: 3600 } });
    const token = await first.mint('sandbox', key);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? first : second).fetch(`/sandbox/api/spread/${i}`, { headers: { authorization: `Bearer ${token}` } }),
      ),
    );
    expect(countStatuses(responses)).toEqual({ 200: 50, 429: 150 });
    await Promise.all(responses.filter((response) => !response.bodyUsed).map((response) => response.body?.cancel()));
  });

  it('takes concurrent PATCHes of limits while calls run without a fault, ending on the last one written', { timeout: 120_000 }, async () => {
    const key = await createLimitedKey(first, accountId, { rateLimit: { requests: 1000, windowSeconds: 60 } });
    const path = `/accounts/${accountId}/keys/${key.id}`;
    const patches = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? first : second).admin('PATCH', path, { rateLimit: i % 3 ? { requests: 1000 + i, windowSeconds: 60 } : null, quota: i % 4 ? null : { requests: 1e6, period: 'day' } }),
    );
    const calls = Array.from({ length: 100 }, (_, i) => (i % 2 ? first : second).fetch(`/sandbox/api/c/${i}`, { headers: { 'api-key': key.applicationSecret } }));
    const patched = await Promise.all(patches);
    expect(patched.map((response) => response.status)).toEqual(Array(20).fill(200));
    const answered = await Promise.all(calls);
    expect(answered.every((response) => response.status === 200)).toBe(true);
    await Promise.all(answered.filter((response) => !response.bodyUsed).map((response) => response.body?.cancel()));
    const last = await first.admin('PATCH', path, { rateLimit: { requests: 2, windowSeconds: 3600 }, quota: null });
    expect(await last.json()).toMatchObject({ rateLimit: { requests: 2, windowSeconds: 3600 }, quota: null });
    // The other gateway sees the change within its 1 s cache.
    await expect
      .poll(async () => (await second.fetch('/sandbox/api/c/x', { headers: { 'api-key': key.applicationSecret } })).headers.get('ratelimit-policy'), {
        timeout: 5_000,
      })
      .toBe('"rate";q=2;w=3600');
  });

  it('answers slow_down past tokenRateLimit, with Retry-After and the token-rate fields, and counts it', async () => {
    const key = await createLimitedKey(first, accountId, { tokenRateLimit: { requests: 2, windowSeconds: 3600 } });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? first : second).exchange('sandbox', key.applicationId, key.applicationSecret)),
    );
    expect(countStatuses(answers)).toEqual({ 200: 2, 429: 8 });
    const allowed = answers.find((answer) => answer.status === 200)!;
    expect(allowed.headers.get('ratelimit-policy')).toBe('"token-rate";q=2;w=3600');
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: string; error_description: string };
    expect(body.error).toBe('slow_down');
    expect(body.error_description).toMatch(/^this key may mint 2 tokens per 3600 s; try again in \d+ s$/);
    await expect
      .poll(async () => ((await (await first.admin('GET', `/accounts/${accountId}/keys/${key.id}/usage`)).json()) as { totals: unknown }).totals, {
        timeout: 10_000,
      })
      .toMatchObject({ tokens: 2, refusals: { rate_limited: 8 } });
  });
});

describe.skipIf(!redisUrl())('limits while Redis is down', () => {
  let redis: ChildProcess;
  let upstream: Upstream;
  let gateway: Gateway;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    upstream = await startUpstream();
    gateway = await startGateway({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, KEYMINT_UPSTREAM_SANDBOX: upstream.url } });
  });
  afterAll(async () => {
    redis?.kill('SIGKILL');
    await gateway?.close();
    await upstream?.close();
  });

  it('fails closed (503) for a key with limits and stays open for a key without', async () => {
    const accountId = (await gateway.createAccount()).id;
    const limited = await createLimitedKey(gateway, accountId, { rateLimit: { requests: 100, windowSeconds: 60 } });
    const free = await createLimitedKey(gateway, accountId, {});
    const limitedToken = await gateway.mint('sandbox', limited);
    const freeToken = await gateway.mint('sandbox', free);
    expect((await gateway.fetch('/sandbox/api/x', { headers: { authorization: `Bearer ${limitedToken}` } })).status).toBe(200);

    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));

    for (const headers of [{ authorization: `Bearer ${limitedToken}` }, { 'api-key': limited.applicationSecret }] as Record<string, string>[]) {
      const refused = await gateway.fetch('/sandbox/api/x', { headers });
      const problem = await expectProblem(refused, 503);
      expect(problem.code).toBe('unavailable');
    }
    for (const headers of [{ authorization: `Bearer ${freeToken}` }, { 'api-key': free.applicationSecret }] as Record<string, string>[]) {
      expect((await gateway.fetch('/sandbox/api/x', { headers })).status).toBe(200);
    }
  });
});
