import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import { createManualClock } from '../../ports/testing/manual-clock.js';
import { describeUsageMeter } from '../../ports/testing/usage-meter.suite.js';
import { DAY_MS } from '../../ports/usage-meter.js';
import { createRedisClient } from './redis-client.js';
import { RedisUsageMeter } from './redis-usage-meter.js';
import { BatchedUsageMeter } from './batched-usage-meter.js';
import { noMetrics, silentLogger } from '../../ports/runtime.js';

const redisUrl = inject('redisUrl');

describe.skipIf(!redisUrl)('RedisUsageMeter', () => {
  describeUsageMeter('RedisUsageMeter over three connections', async () => {
    const clock = createManualClock('2026-12-02T10:00:00Z');
    const clients = Array.from({ length: 3 }, () => createRedisClient(redisUrl!));
    await Promise.all(clients.map((client) => client.connect()));
    return {
      meters: clients.map((client) => new RedisUsageMeter(client, clock, 'kmtest')),
      clock,
      close: async () => {
        await Promise.all(clients.map((client) => client.quit()));
      },
    };
  });

  describeUsageMeter('BatchedUsageMeter over RedisUsageMeter, three connections (writes only when flushed or read)', async () => {
    const clock = createManualClock('2026-12-02T10:00:00Z');
    const clients = Array.from({ length: 3 }, () => createRedisClient(redisUrl!));
    await Promise.all(clients.map((client) => client.connect()));
    const meters = clients.map(
      (client) => new BatchedUsageMeter(new RedisUsageMeter(client, clock, 'kmbatch'), { clock, logger: silentLogger, metrics: noMetrics, intervalMs: 3_600_000 }),
    );
    return {
      meters,
      clock,
      close: async () => {
        await Promise.all(meters.map((meter) => meter.close()));
        await Promise.all(clients.map((client) => client.quit()));
      },
    };
  });

  it('keeps one hash per key and UTC day in the key’s hash slot, for at least 90 days after the day', async () => {
    const clock = createManualClock('2026-12-02T22:00:00Z');
    const redis = new Redis(redisUrl!);
    const meter = new RedisUsageMeter(redis, clock, 'kmttl');
    const key = { environment: 'sandbox' as const, keyId: `key_ttl${Date.now().toString(36)}` };
    await meter.count(key, 'tokens');
    clock.set('2026-12-02T23:10:00Z');
    await meter.count(key, '2xx');
    await meter.count(key, '2xx');

    const name = `kmttl:{sandbox:${key.keyId}}:usage:20261202`;
    expect(await redis.keys(`kmttl:*${key.keyId}*`)).toEqual([name]);
    expect(await redis.hgetall(name)).toEqual({ '22:tokens': '1', '23:2xx': '2' });
    // The day ends in 50 minutes; it must be readable for 90 days after that.
    expect(await redis.pttl(name)).toBeGreaterThan(90 * DAY_MS + 50 * 60_000);
    await redis.quit();
  });

  it('keeps the counts across a restart: a new meter on a new connection reads what the old one wrote', async () => {
    const clock = createManualClock('2026-12-02T08:00:00Z');
    const key = { environment: 'production' as const, keyId: `key_restart${Date.now().toString(36)}` };
    const before = createRedisClient(redisUrl!);
    await before.connect();
    await new RedisUsageMeter(before, clock).count(key, 'tokens');
    await before.quit();

    const after = createRedisClient(redisUrl!);
    await after.connect();
    const hours = await new RedisUsageMeter(after, clock).readHours(key, Date.parse('2026-12-02T00:00:00Z'), Date.parse('2026-12-03T00:00:00Z'));
    expect(hours.map((hour) => hour.counts.tokens)).toEqual([1]);
    await after.quit();
  });

  it('sets the TTL again when the hash was lost (a Redis restart), within a minute', async () => {
    const clock = createManualClock('2026-12-02T08:00:00Z');
    const redis = new Redis(redisUrl!);
    const meter = new RedisUsageMeter(redis, clock, 'kmlost');
    const key = { environment: 'sandbox' as const, keyId: `key_lost${Date.now().toString(36)}` };
    const name = `kmlost:{sandbox:${key.keyId}}:usage:20261202`;
    await meter.count(key, '2xx');
    await redis.del(name);
    await meter.count(key, '2xx');
    expect(await redis.pttl(name)).toBe(-1);
    clock.advance(60_000);
    await meter.count(key, '2xx');
    expect(await redis.pttl(name)).toBeGreaterThan(90 * DAY_MS);
    await redis.quit();
  });

  it('throws StoreUnavailableError when Redis cannot be reached', async () => {
    const client = createRedisClient('redis://127.0.0.1:1');
    client.on('error', () => {});
    const meter = new RedisUsageMeter(client, createManualClock('2026-12-02T10:00:00Z'));
    await expect(meter.count({ environment: 'sandbox', keyId: 'key_down' }, 'tokens')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(meter.readHours({ environment: 'sandbox', keyId: 'key_down' }, 0, DAY_MS)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    client.disconnect();
  });
});
