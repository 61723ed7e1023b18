// The Redis stores against the SessionStore, RateLimiter and ReplayStore contracts, on the run's real redis-server;
// the pub/sub change feed against the ChangeFeed contract on it and on the run's Redis Cluster.
import { Cluster } from 'ioredis';
import { describe, inject } from 'vitest';
import { clusterNodeSubscribers, duplicateSubscribers, RedisChangeFeed } from '../../src/adapters/node/redis-change-feed.js';
import { describeChangeFeedContract } from '../../src/ports/testing/change-feed.suite.js';
import { redisKeyVersionsFixture } from '../support/key-versions-fixture.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { RedisRateLimiter } from '../../src/adapters/node/redis-rate-limiter.js';
import { RedisReplayStore } from '../../src/adapters/node/redis-replay-store.js';
import { createRedisClient } from '../../src/adapters/node/redis-client.js';
import { RedisSessionStore } from '../../src/adapters/node/redis-session-store.js';
import { nextId, realClock, type StoreFixture } from '../../src/ports/testing/fixtures.js';
import { describeKeyVersionsContract } from '../../src/ports/testing/key-versions.suite.js';
import { describeRateLimiterContract } from '../../src/ports/testing/rate-limiter.suite.js';
import { describeReplayStoreContract } from '../../src/ports/testing/replay-store.suite.js';
import { describeSessionStoreContract } from '../../src/ports/testing/session-store.suite.js';
import { silentLogger } from '../../src/ports/runtime.js';

const url = inject('redisUrl');
const clusterNodes = inject('redisClusterNodes');

function hostPort(address: string): { host: string; port: number } {
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port) };
}

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
  describeKeyVersionsContract('RedisKeyVersions', () =>
    redisKeyVersionsFixture(redisFixture, async () => {
      const other = createRedisClient(url!);
      await other.connect();
      return other;
    }),
  );
});

describe.skipIf(!url)('Redis pub/sub', () => {
  // Node A reaches Redis through a relay the outage cuts (both its connections); node B directly.
  describeChangeFeedContract('RedisChangeFeed on one Redis', async () => {
    const target = new URL(url!);
    const relay = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const prefix = nextId('f');
    const node = async (address: string) => {
      const client = createRedisClient(address);
      client.on('error', () => undefined);
      await client.connect();
      return { client, feed: new RedisChangeFeed(client, duplicateSubscribers(client), { prefix, logger: silentLogger }) };
    };
    const [a, b] = await Promise.all([node(`redis://${relay.host}:${relay.port}`), node(url!)]);
    return {
      nodes: [a.feed, b.feed],
      outage: { begin: () => relay.cut(), end: () => relay.restore() },
      async dispose() {
        await Promise.all([a.feed.close(), b.feed.close()]);
        for (const { client } of [a, b]) client.disconnect();
        await relay.close();
      },
    };
  });
});

describe.skipIf(!clusterNodes)('Redis Cluster pub/sub', () => {
  // Each node subscribes on one cluster node at a time (node A through relays the outage cuts) and publishes through
  // a Cluster client: a classic PUBLISH on any node reaches subscribers on every node.
  describeChangeFeedContract('RedisChangeFeed on a Redis Cluster', async () => {
    const nodes = clusterNodes!.split(',').map(hostPort);
    const relays = await Promise.all(nodes.map((node) => startTcpProxy(node)));
    const prefix = nextId('f');
    const node = async (subscribeVia: { host: string; port: number }[]) => {
      const client = new Cluster(nodes, { lazyConnect: true, enableOfflineQueue: false });
      client.on('error', () => undefined);
      await client.connect();
      return { client, feed: new RedisChangeFeed(client, clusterNodeSubscribers(subscribeVia), { prefix, logger: silentLogger }) };
    };
    const [a, b] = await Promise.all([node(relays), node(nodes)]);
    return {
      nodes: [a.feed, b.feed],
      outage: {
        begin: () => relays.forEach((relay) => relay.cut()),
        end: () => relays.forEach((relay) => relay.restore()),
      },
      async dispose() {
        await Promise.all([a.feed.close(), b.feed.close()]);
        for (const { client } of [a, b]) client.disconnect();
        await Promise.all(relays.map((relay) => relay.close()));
      },
    };
  });
});
