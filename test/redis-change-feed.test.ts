// RedisChangeFeed beyond the ChangeFeed contract: a hung Redis (no connection closed) is noticed by the heartbeat, and
// whatever else appears on the channel is ignored.
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient } from '../src/adapters/node/redis-client.js';
import { duplicateSubscribers, RedisChangeFeed } from '../src/adapters/node/redis-change-feed.js';
import type { ChangeNotice } from '../src/ports/change-feed.js';
import { nextId } from '../src/ports/testing/fixtures.js';
import { redisUrl } from './support/gateway.js';
import { waitUntil } from './support/processes.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { silentLogger } from '../src/ports/runtime.js';


describe.skipIf(!redisUrl())('RedisChangeFeed', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function feedVia(address: string, prefix: string) {
    const client = createRedisClient(address);
    client.on('error', () => undefined);
    await client.connect();
    const feed = new RedisChangeFeed(client, duplicateSubscribers(client), { prefix, logger: silentLogger });
    cleanup.push(() => client.disconnect(), () => feed.close());
    const heard: ChangeNotice[] = [];
    feed.subscribe((notice) => heard.push(notice));
    await waitUntil(async () => feed.healthy(), 5_000, 'the feed is healthy');
    // Coming up, it said `everything` once; what follows is what the test does.
    expect(heard).toEqual([{ kind: 'everything' }]);
    heard.length = 0;
    return { client, feed, heard };
  }

  async function relay(): Promise<TcpProxy> {
    const target = new URL(redisUrl()!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    cleanup.push(() => proxy.close());
    return proxy;
  }

  it('counts a Redis that stops answering (nothing closed) as down within a second, and recovers', async () => {
    const proxy = await relay();
    const { feed, heard } = await feedVia(`redis://${proxy.host}:${proxy.port}`, nextId('h'));
    const heldAt = Date.now();
    proxy.hold();
    await waitUntil(async () => !feed.healthy(), 2_000, 'the feed is unhealthy', 10);
    expect(Date.now() - heldAt).toBeLessThan(1_500);
    await waitUntil(async () => heard.length > 0, 2_000, 'the listeners hear of it', 10);
    expect(heard).toEqual([{ kind: 'everything' }]);

    proxy.release();
    await waitUntil(async () => feed.healthy(), 10_000, 'the feed is healthy again');
    expect(heard.at(-1)).toEqual({ kind: 'everything' });
  });

  it('ignores anything on the channel that is not a change, and stays healthy', async () => {
    const prefix = nextId('g');
    const { client, feed, heard } = await feedVia(redisUrl()!, prefix);
    const garbage = [
      'not json',
      '{"origin":"someone","change":{"kind":"key"}}',
      '{"origin":"someone","change":{"kind":"signing-keys","environment":"staging"}}',
      '{"origin":"bad origin!","change":{"kind":"key","keyId":"key_1"}}',
      '{"origin":"someone","change":{"kind":"drop-tables"}}',
    ];
    for (const message of garbage) await client.publish(`${prefix}:changes`, message);
    await client.publish(`${prefix}:changes`, JSON.stringify({ origin: 'someone', change: { kind: 'key', keyId: 'key_ok' } }));
    await waitUntil(async () => heard.length > 0, 5_000, 'the valid change is heard');
    expect(heard).toEqual([{ kind: 'key', keyId: 'key_ok' }]);
    expect(feed.healthy()).toBe(true);
  });
});
