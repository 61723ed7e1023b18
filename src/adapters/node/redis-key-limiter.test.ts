import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import { describeKeyLimiter } from '../../ports/testing/key-limiter.suite.js';
import { createManualClock } from '../../ports/testing/manual-clock.js';
import { RedisKeyLimiter } from './redis-key-limiter.js';
import { createRedisClient } from './redis-client.js';
import { connectRedis, redisClusterDeployment } from '../../../test/support/redis-deployments.js';

const redisUrl = inject('redisUrl');
const cluster = redisClusterDeployment();

describe.skipIf(!redisUrl)('RedisKeyLimiter', () => {
  // Four connections, as four gateway processes would hold: the budget holds across all of them.
  describeKeyLimiter('RedisKeyLimiter over four connections', async () => {
    const clock = createManualClock('2026-12-02T10:00:00Z');
    const clients = Array.from({ length: 4 }, () => createRedisClient(redisUrl!));
    await Promise.all(clients.map((client) => client.connect()));
    return {
      limiters: clients.map((client) => new RedisKeyLimiter(client, clock, 'kmtest')),
      clock,
      close: async () => {
        await Promise.all(clients.map((client) => client.quit()));
      },
    };
  });

  it('keeps a key’s limit keys in one hash slot, each expiring', async () => {
    const clock = createManualClock('2026-12-02T10:00:00Z');
    const redis = new Redis(redisUrl!);
    const limiter = new RedisKeyLimiter(redis, clock, 'kmslot');
    const key = { environment: 'production' as const, keyId: `key_slot${Date.now().toString(36)}` };
    await limiter.admitCall(key, { rateLimit: { requests: 10, windowSeconds: 60 }, quota: { requests: 100, period: 'day' } });
    await limiter.admitMint(key, { requests: 10, windowSeconds: 3600 });

    const names = (await redis.keys(`kmslot:*${key.keyId}*`)).sort();
    const tag = `{production:${key.keyId}}`;
    expect(names).toEqual([`kmslot:${tag}:quota:2026-12-02`, `kmslot:${tag}:rate`, `kmslot:${tag}:token-rate`]);
    const ttls = await Promise.all(names.map((name) => redis.pttl(name)));
    // The quota lives until the end of its day (14 h away) plus an hour's grace; a GCRA key until its budget is whole.
    expect(ttls[0]).toBeGreaterThan(15 * 3_600_000 - 60_000);
    expect(ttls[0]).toBeLessThanOrEqual(15 * 3_600_000);
    expect(ttls[1]).toBeGreaterThan(0);
    expect(ttls[1]).toBeLessThanOrEqual(6000);
    expect(ttls[2]).toBeGreaterThan(300_000);
    expect(ttls[2]).toBeLessThanOrEqual(360_000);
    await redis.quit();
  });

  it('throws StoreUnavailableError when Redis cannot be reached, so the proxy can answer 503', async () => {
    const client = createRedisClient('redis://127.0.0.1:1');
    client.on('error', () => {});
    const limiter = new RedisKeyLimiter(client, createManualClock('2026-12-02T10:00:00Z'));
    await expect(
      limiter.admitCall({ environment: 'sandbox', keyId: 'key_down' }, { rateLimit: { requests: 1, windowSeconds: 1 } }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    client.disconnect();
  });
});

describe.skipIf(!cluster.endpoint)('RedisKeyLimiter on a Redis Cluster', () => {
  it('admits many keys’ calls at once, as concurrent requests do (one pipeline per node)', async () => {
    const redis = await connectRedis(cluster.endpoint!);
    const limiter = new RedisKeyLimiter(redis, createManualClock('2026-12-02T10:00:00Z'), `kmbusy${Date.now().toString(36)}`);
    const keys = Array.from({ length: 60 }, (_, i) => ({ environment: 'sandbox' as const, keyId: `key_busy${i}` }));
    const limits = { rateLimit: { requests: 1, windowSeconds: 60 } };
    // Issued in one tick: auto-pipelining batches them by node, and each script must still reach its keys' node.
    const first = await Promise.all(keys.map((key) => limiter.admitCall(key, limits)));
    expect(first.map((decision) => decision.allowed)).toEqual(keys.map(() => true));
    const second = await Promise.all(keys.map((key) => limiter.admitCall(key, limits)));
    expect(second.map((decision) => decision.allowed)).toEqual(keys.map(() => false));
    await redis.quit();
  });
});
