// The Redis stores against the SessionStore, RateLimiter and ReplayStore contracts, on the run's real redis-server.
import { describe, inject } from 'vitest';
import { RedisRateLimiter } from '../../src/adapters/node/redis-rate-limiter.js';
import { RedisReplayStore } from '../../src/adapters/node/redis-replay-store.js';
import { createRedisClient, RedisSessionStore } from '../../src/adapters/node/redis-session-store.js';
import { nextId, realClock, type StoreFixture } from '../../src/ports/testing/fixtures.js';
import { describeRateLimiterContract } from '../../src/ports/testing/rate-limiter.suite.js';
import { describeReplayStoreContract } from '../../src/ports/testing/replay-store.suite.js';
import { describeSessionStoreContract } from '../../src/ports/testing/session-store.suite.js';

const url = inject('redisUrl');

/**
 * A store on a client of its own under a prefix of its own. Redis expires keys on its own clock, so the
 * fixture's clock is the real one (the suites wait a second or two for deadlines). The outage is real: the
 * client disconnects, and with no offline queue every command fails at once, as when Redis is down.
 */
async function redisFixture<Store>(build: (client: ReturnType<typeof createRedisClient>, prefix: string, clock: ReturnType<typeof realClock>) => Store): Promise<StoreFixture<Store>> {
  const client = createRedisClient(url!);
  await client.connect();
  const clock = realClock();
  return {
    store: build(client, nextId('t'), clock),
    clock,
    outage: { store: 'redis', begin: () => client.disconnect() },
    dispose: () => client.disconnect(),
  };
}

describe.skipIf(!url)('Redis', () => {
  describeSessionStoreContract('RedisSessionStore', () =>
    redisFixture((client, prefix, clock) => new RedisSessionStore(client, { prefix, clock })),
  );
  describeRateLimiterContract('RedisRateLimiter', () => redisFixture((client, prefix) => new RedisRateLimiter(client, { prefix })));
  describeReplayStoreContract('RedisReplayStore', () => redisFixture((client, prefix) => new RedisReplayStore(client, { prefix })));
});
