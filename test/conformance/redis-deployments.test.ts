// Every Redis store against its contract on the run's real Redis Cluster (6 processes) and Sentinel group: the
// session store, the failure counters, console sessions, the per-key limiter and the usage meter.
import { afterAll, beforeAll, describe } from 'vitest';
import type { RedisClient } from '../../src/adapters/node/redis-client.js';
import { RedisConsoleSessionStore } from '../../src/adapters/node/redis-console-session-store.js';
import { RedisKeyLimiter } from '../../src/adapters/node/redis-key-limiter.js';
import { RedisRateLimiter } from '../../src/adapters/node/redis-rate-limiter.js';
import { RedisSessionStore } from '../../src/adapters/node/redis-session-store.js';
import { RedisUsageMeter } from '../../src/adapters/node/redis-usage-meter.js';
import { BatchedUsageMeter } from '../../src/adapters/node/batched-usage-meter.js';
import { noMetrics, silentLogger } from '../../src/ports/runtime.js';
import { nextId, realClock, type ContractClock, type StoreFixture } from '../../src/ports/testing/fixtures.js';
import { describeKeyLimiter } from '../../src/ports/testing/key-limiter.suite.js';
import { describeKeyVersionsContract } from '../../src/ports/testing/key-versions.suite.js';
import { createManualClock } from '../../src/ports/testing/manual-clock.js';
import { describeRateLimiterContract } from '../../src/ports/testing/rate-limiter.suite.js';
import { describeSessionStoreContract } from '../../src/ports/testing/session-store.suite.js';
import { describeUsageMeter } from '../../src/ports/testing/usage-meter.suite.js';
import { describeConsoleSessionStore, movableClock } from '../support/console-session-store-suite.js';
import { redisKeyVersionsFixture } from '../support/key-versions-fixture.js';
import { connectRedis, redisClusterDeployment, redisSentinelDeployment } from '../support/redis-deployments.js';

for (const deployment of [redisClusterDeployment(), redisSentinelDeployment()]) {
  const endpoint = deployment.endpoint;

  describe.skipIf(!endpoint)(`on ${deployment.name}`, () => {
    /**
     * A store on a client of its own under a prefix of its own; the clock is the real one (Redis expires keys on
     * its own). The outage is real: the client disconnects, and with no offline queue every command fails.
     */
    async function fixture<Store>(build: (client: RedisClient, prefix: string, clock: ContractClock) => Store): Promise<StoreFixture<Store>> {
      const client = await connectRedis(endpoint!);
      const clock = realClock();
      return {
        store: build(client, nextId('t'), clock),
        clock,
        outage: { store: 'redis', begin: () => client.disconnect() },
        dispose: () => client.disconnect(),
      };
    }

    /** `count` clients, as that many gateway processes would hold, for the suites that race them. */
    async function clients(count: number) {
      const opened = await Promise.all(Array.from({ length: count }, () => connectRedis(endpoint!)));
      return { opened, close: async () => void (await Promise.all(opened.map((client) => client.quit()))) };
    }

    describeSessionStoreContract(`RedisSessionStore on ${deployment.name}`, () =>
      fixture((client, prefix, clock) => new RedisSessionStore(client, { prefix, clock })),
    );
    describeRateLimiterContract(`RedisRateLimiter on ${deployment.name}`, () => fixture((client, prefix) => new RedisRateLimiter(client, { prefix })));
    describeKeyVersionsContract(`RedisKeyVersions on ${deployment.name}`, () => redisKeyVersionsFixture(fixture, () => connectRedis(endpoint!)));

    describe(`RedisConsoleSessionStore on ${deployment.name}`, () => {
      // The suite opens its stores synchronously, inside its tests: one client, connected before them.
      let client: RedisClient;
      beforeAll(async () => void (client = await connectRedis(endpoint!)));
      afterAll(() => client?.quit());
      const prefix = nextId('t');
      describeConsoleSessionStore(`RedisConsoleSessionStore on ${deployment.name}`, () => {
        const clock = movableClock();
        return { store: new RedisConsoleSessionStore(client, prefix, clock), clock };
      });
    });

    describeKeyLimiter(`RedisKeyLimiter over three connections to ${deployment.name}`, async () => {
      const clock = createManualClock('2026-12-02T10:00:00Z');
      const { opened, close } = await clients(3);
      const prefix = nextId('t');
      return { limiters: opened.map((client) => new RedisKeyLimiter(client, clock, prefix)), clock, close };
    });

    describeUsageMeter(`RedisUsageMeter over three connections to ${deployment.name}`, async () => {
      const clock = createManualClock('2026-12-02T10:00:00Z');
      const { opened, close } = await clients(3);
      const prefix = nextId('t');
      return { meters: opened.map((client) => new RedisUsageMeter(client, clock, prefix)), clock, close };
    });

    describeUsageMeter(`BatchedUsageMeter over three connections to ${deployment.name} (writes only when flushed or read)`, async () => {
      const clock = createManualClock('2026-12-02T10:00:00Z');
      const { opened, close } = await clients(3);
      const prefix = nextId('t');
      const options = { clock, logger: silentLogger, metrics: noMetrics, intervalMs: 3_600_000 };
      const meters = opened.map((client) => new BatchedUsageMeter(new RedisUsageMeter(client, clock, prefix), options));
      return {
        meters,
        clock,
        close: async () => {
          await Promise.all(meters.map((meter) => meter.close()));
          await close();
        },
      };
    });
  });
}
