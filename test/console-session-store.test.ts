// ConsoleSessionStore adapters on Node: the shared suite against process memory and a real redis-server, plus what
// only Redis shows (the key, its TTL, one client seeing another's sessions, an unreachable server).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConsoleSessionStore } from '../src/adapters/memory/memory-console-session-store.js';
import { RedisConsoleSessionStore } from '../src/adapters/node/redis-console-session-store.js';
import { createRedisClient } from '../src/adapters/node/redis-client.js';
import { randomBase62 } from '../src/shared/encoding.js';
import { SessionStoreUnavailableError } from '../src/ports/session-store.js';
import { describeConsoleSessionStore, movableClock, sessionRecord } from './support/console-session-store-suite.js';
import { redisUrl } from './support/gateway.js';
import { freePort } from './support/redis-server.js';

describeConsoleSessionStore('MemoryConsoleSessionStore', () => {
  const clock = movableClock();
  return { store: new MemoryConsoleSessionStore(clock), clock };
});

describe.skipIf(!redisUrl())('RedisConsoleSessionStore on redis-server', () => {
  const redis = createRedisClient(redisUrl() ?? 'redis://127.0.0.1:1');
  const prefix = `t${randomBase62(8)}`;
  // The client connects lazily (as node-deps connects it at start-up).
  beforeAll(() => redis.connect());
  afterAll(() => redis.quit());

  describeConsoleSessionStore('RedisConsoleSessionStore', () => {
    const clock = movableClock();
    return { store: new RedisConsoleSessionStore(redis, prefix, clock), clock };
  });

  it('keeps a session under {prefix}:console:session:{idHash} until its end, visible to every client of the server', async () => {
    const clock = movableClock();
    const store = new RedisConsoleSessionStore(redis, prefix, clock);
    const record = sessionRecord(clock, { expiresAt: clock.now() + 12 * 60 * 60 * 1000 });
    await store.create('shared-hash', record);
    const ttl = await redis.pttl(`${prefix}:console:session:shared-hash`);
    expect(ttl).toBeGreaterThan(12 * 60 * 60 * 1000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(12 * 60 * 60 * 1000);
    expect(await redis.hgetall(`${prefix}:console:session:shared-hash`)).toEqual({
      record: JSON.stringify(record),
      seen: String(record.lastSeenAt),
    });

    // Another node: its own client and store over the same server.
    const other = createRedisClient(redisUrl()!);
    await other.connect();
    try {
      const elsewhere = new RedisConsoleSessionStore(other, prefix, clock);
      expect(await elsewhere.get('shared-hash')).toEqual(record);
      await elsewhere.delete('shared-hash');
      expect(await store.get('shared-hash')).toBeNull();
    } finally {
      await other.quit();
    }
  });

  it('throws SessionStoreUnavailableError when the server cannot be reached', async () => {
    const unreachable = createRedisClient(`redis://127.0.0.1:${await freePort()}`);
    unreachable.on('error', () => {});
    try {
      const store = new RedisConsoleSessionStore(unreachable, prefix);
      await expect(store.get('any')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
      await expect(store.create('any', sessionRecord(movableClock()))).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    } finally {
      unreachable.disconnect();
    }
  });
});
