// The gateway's Sentinel client (createRedisConnection) against a real Sentinel group of its own: it keeps
// reconnecting through a failover notice that arrives mid-reconnect, and closing it closes every connection it
// opened to the sentinels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../src/adapters/node/redis-client.js';
import { redisCli } from './support/redis-cluster.js';
import { connectRedis, sentinelEndpoint } from './support/redis-deployments.js';
import { hasRedisSentinel, startRedisSentinelGroup, type RedisSentinelGroup } from './support/redis-sentinel.js';
import { waitUntil } from './support/processes.js';

/** The connections the failover detector holds: one subscriber per sentinel (`sub=1` in CLIENT LIST). */
async function subscribersOnSentinels(group: RedisSentinelGroup): Promise<number> {
  const lists = await Promise.all(group.sentinels.map((sentinel) => redisCli(Number(sentinel.split(':')[1]), 'client', 'list')));
  return lists.join('\n').split('\n').filter((line) => / sub=[1-9]/.test(line)).length;
}

describe.skipIf(!hasRedisSentinel())('the Redis Sentinel client', () => {
  let group: RedisSentinelGroup;
  const clients: RedisClient[] = [];
  beforeAll(async () => {
    group = await startRedisSentinelGroup();
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await group?.stop();
  });

  const connect = async () => {
    const client = await connectRedis(sentinelEndpoint(group.sentinels, group.name));
    clients.push(client);
    return client;
  };

  it('answers again after a failover notice cut one of its reconnects short', async () => {
    const client = await connect();
    expect(await client.ping()).toBe('PONG');
    // What ioredis's failover detector does when the sentinels announce +switch-master: it closes the connector.
    // Done here at the moment a reconnect is asking the sentinels where the primary is (the race a real failover
    // under load runs into), which left the client closed for good ("Connection is closed." until a restart).
    let cut = false;
    client.on('connecting', () => {
      if (cut) return;
      cut = true;
      (client as unknown as { connector: { disconnect(): void } }).connector.disconnect();
    });
    (client as unknown as { stream: { destroy(): void } }).stream.destroy();
    await waitUntil(async () => cut, 5_000, 'a reconnect to start');
    await waitUntil(async () => client.status === 'ready', 5_000, 'the client to be ready again');
    expect(await client.ping()).toBe('PONG');
    // Closed, with the failover detector it opened on reconnecting: the next test counts the group's subscribers.
    client.disconnect();
    await waitUntil(async () => (await subscribersOnSentinels(group)) === 0, 5_000, 'the detector’s connections to close');
  });

  it('closes its connections to the sentinels when it is closed', async () => {
    expect(await subscribersOnSentinels(group)).toBe(0);
    const client = await connect();
    // The failover detector subscribes on every sentinel once the primary's connection is up.
    await waitUntil(async () => (await subscribersOnSentinels(group)) === group.sentinels.length, 5_000, 'the detector to subscribe');
    await client.quit();
    await waitUntil(async () => (await subscribersOnSentinels(group)) === 0, 5_000, 'the detector’s connections to close');
    // And they stay closed (without keepConnecting they reconnected for ever, keeping the process alive).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await subscribersOnSentinels(group)).toBe(0);
    expect(client.status).toBe('end');
  });
});
