// What only Redis shows of the session store: the key names, one hash slot per API key on a Cluster (and keys
// spread over its primaries), and sessions minted before that layout still found and revoked after an upgrade.
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newSessionId, sessionPartition } from '../../ports/session-ids.js';
import type { SessionRecord } from '../../ports/session-store.js';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import { randomBase62 } from '../../shared/encoding.js';
import { connectRedis, redisClusterDeployment } from '../../../test/support/redis-deployments.js';
import { createRedisClient, type RedisClient } from './redis-client.js';
import { RedisSessionStore } from './redis-session-store.js';

const redisUrl = inject('redisUrl');
const cluster = redisClusterDeployment();
const clock = { now: () => Date.now() };
const nowSeconds = () => Math.floor(Date.now() / 1000);

function record(keyId: string, jti = newSessionId(keyId)): SessionRecord {
  const iat = nowSeconds();
  return { jti, applicationId: 'app_sbx_layout', keyId, accountId: 'acct_layout', scope: 'read', aud: 'https://km.test/sandbox/api', iat, exp: iat + 600, revoked: false };
}

function issue(session: SessionRecord) {
  return {
    slot: { keyId: session.keyId, slot: 'app_sbx_layout aud read' },
    token: { token: `jwt.${session.jti}`, jti: session.jti, scope: session.scope, iat: session.iat, exp: session.exp },
    reuseUntil: session.iat + 300,
  };
}

describe.skipIf(!redisUrl)('RedisSessionStore on one Redis', () => {
  let redis: RedisClient;
  const prefix = `l${randomBase62(8)}`;
  beforeAll(async () => {
    redis = createRedisClient(redisUrl!);
    await redis.connect();
  });
  afterAll(() => redis.quit());

  it('keeps a key’s session, session index and issued tokens under the key’s partition, one hash tag', async () => {
    const store = new RedisSessionStore(redis, { prefix, clock });
    const keyId = `key_names${randomBase62(8)}`;
    const session = record(keyId);
    await store.saveSession('sandbox', session, issue(session));
    const tag = `{sandbox:${sessionPartition(keyId)}}`;
    expect(session.jti.startsWith(`${sessionPartition(keyId)}.`)).toBe(true);
    expect((await redis.keys(`${prefix}:*`)).filter((name) => name.includes(keyId) || name.includes(session.jti)).sort()).toEqual([
      `${prefix}:${tag}:issued:${keyId}`,
      `${prefix}:${tag}:key-sessions:${keyId}`,
      `${prefix}:${tag}:session:${session.jti}`,
    ]);
  });

  it('keeps what was derived from a session (token exchange) in a set under the same hash tag as the session', async () => {
    const store = new RedisSessionStore(redis, { prefix, clock });
    const keyId = `key_derived${randomBase62(8)}`;
    const parent = record(keyId);
    const child = { ...record(keyId), parentJti: parent.jti, ancestors: [parent.jti] };
    await store.saveSession('sandbox', parent);
    await store.saveSession('sandbox', child);
    const tag = `{sandbox:${sessionPartition(keyId)}}`;
    expect(await redis.zrange(`${prefix}:${tag}:derived:${parent.jti}`, '0', '-1')).toEqual([child.jti]);
    expect(await store.revokeSession('sandbox', parent.jti)).toBe(true);
    expect(await store.getSession('sandbox', child.jti)).toEqual({ ...child, revoked: true });
  });

  it('refuses, as a caller’s mistake rather than an outage, a session whose jti was not made for its key', async () => {
    const store = new RedisSessionStore(redis, { prefix, clock });
    const error = await store.saveSession('sandbox', record('key_one', newSessionId('key_other'))).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    await expect(store.saveSession('sandbox', record('key_one', randomBase62(24)))).rejects.toThrow(/not made for key key_one/);
  });

  describe('after an upgrade from the unpartitioned layout', () => {
    /** A session as the previous release wrote it: record, index entry and reusable token under the older names. */
    async function writeOldSession(keyId: string): Promise<SessionRecord> {
      const session = record(keyId, randomBase62(24));
      await redis.set(`${prefix}:sandbox:session:${session.jti}`, JSON.stringify(session), 'PXAT', session.exp * 1000);
      await redis.zadd(`${prefix}:sandbox:key-sessions:${keyId}`, session.exp, session.jti);
      await redis.hset(`${prefix}:sandbox:issued:${keyId}`, 'app_sbx_layout aud read', JSON.stringify(issue(session).token));
      return session;
    }

    it('finds an older session by its jti and revokes it, dropping its key’s reusable tokens', async () => {
      const store = new RedisSessionStore(redis, { prefix, clock });
      const keyId = `key_old${randomBase62(8)}`;
      const old = await writeOldSession(keyId);
      const fresh = record(keyId);
      await store.saveSession('sandbox', fresh, issue(fresh));

      expect(await store.getSession('sandbox', old.jti)).toEqual(old);
      expect(await store.revokeSession('sandbox', old.jti)).toBe(true);
      expect(await store.getSession('sandbox', old.jti)).toEqual({ ...old, revoked: true });
      // It kept its TTL.
      expect(await redis.pttl(`${prefix}:sandbox:session:${old.jti}`)).toBeGreaterThan(500_000);
      expect(await store.findIssued('sandbox', issue(fresh).slot)).toBeNull();
      expect(await store.getSession('sandbox', fresh.jti)).toEqual(fresh);
    });

    it('revokes what was derived from an older session with it, and drops its key’s reusable tokens', async () => {
      const store = new RedisSessionStore(redis, { prefix, clock });
      const keyId = `key_oldparent${randomBase62(8)}`;
      const old = await writeOldSession(keyId);
      const child = { ...record(keyId), parentJti: old.jti, ancestors: [old.jti] };
      const grandchild = { ...record(keyId), parentJti: child.jti, ancestors: [child.jti, old.jti] };
      const sibling = record(keyId);
      await store.saveSession('sandbox', child);
      await store.saveSession('sandbox', grandchild, issue(grandchild));
      await store.saveSession('sandbox', sibling);

      expect(await store.revokeSession('sandbox', old.jti)).toBe(true);
      expect(await store.getSession('sandbox', old.jti)).toEqual({ ...old, revoked: true });
      expect(await store.getSession('sandbox', child.jti)).toEqual({ ...child, revoked: true });
      expect(await store.getSession('sandbox', grandchild.jti)).toEqual({ ...grandchild, revoked: true });
      expect(await store.getSession('sandbox', sibling.jti)).toEqual(sibling);
      expect(await store.findIssued('sandbox', issue(grandchild).slot)).toBeNull();
    });

    it('revokes a key’s older and newer sessions together, and counts both', async () => {
      const store = new RedisSessionStore(redis, { prefix, clock });
      const keyId = `key_both${randomBase62(8)}`;
      const olds = [await writeOldSession(keyId), await writeOldSession(keyId)];
      const fresh = record(keyId);
      await store.saveSession('sandbox', fresh);
      const bystander = await writeOldSession(`key_by${randomBase62(8)}`);

      expect(await store.revokeKeySessions('sandbox', keyId)).toBe(3);
      for (const old of olds) expect(await store.getSession('sandbox', old.jti)).toEqual({ ...old, revoked: true });
      expect(await store.getSession('sandbox', fresh.jti)).toEqual({ ...fresh, revoked: true });
      expect(await store.getSession('sandbox', bystander.jti)).toEqual(bystander);
      expect(await store.revokeKeySessions('sandbox', keyId)).toBe(0);
    });
  });
});

describe.skipIf(!cluster.endpoint)('RedisSessionStore on a Redis Cluster', () => {
  let redis: RedisClient;
  const prefix = `l${randomBase62(8)}`;
  beforeAll(async () => void (redis = await connectRedis(cluster.endpoint!)));
  afterAll(() => redis?.quit());

  it('puts each key’s records in one slot, and different keys’ records on every primary', async () => {
    const store = new RedisSessionStore(redis, { prefix, clock });
    // Each range: [first slot, last slot, [host, port, id] of its primary, …replicas].
    const ranges = (await redis.call('cluster', 'slots')) as [number, number, [string, number]][];
    const primaryServingKey = async (name: string) => {
      const slot = Number(await redis.call('cluster', 'keyslot', name));
      const [, , [host, port]] = ranges.find(([first, last]) => slot >= first && slot <= last)!;
      return `${host}:${port}`;
    };
    const primaries = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const keyId = `key_spread${String(i).padStart(2, '0')}`;
      const session = record(keyId);
      await store.saveSession('production', session, issue(session));
      const tag = `{production:${sessionPartition(keyId)}}`;
      const names = [`${prefix}:${tag}:session:${session.jti}`, `${prefix}:${tag}:key-sessions:${keyId}`, `${prefix}:${tag}:issued:${keyId}`];
      const owners = await Promise.all(names.map(primaryServingKey));
      expect(new Set(owners).size).toBe(1);
      expect(await Promise.all(names.map((name) => redis.exists(name)))).toEqual([1, 1, 1]);
      primaries.add(owners[0]!);
    }
    expect(primaries.size).toBe(3);
  });

  it('sends a script on its slot’s primary connection while that node is ready, and through the Cluster while not', async () => {
    const store = new RedisSessionStore(redis, { prefix, clock });
    const cluster = redis as Cluster;
    const session = record('key_routed');
    const name = `${prefix}:{sandbox:${sessionPartition(session.keyId)}}:session:${session.jti}`;
    const slot = Number(await redis.call('cluster', 'keyslot', name));
    const internals = cluster as unknown as { slots: string[][]; connectionPool: { getInstanceByKey(node: string): Redis } };
    const primary = internals.connectionPool.getInstanceByKey(internals.slots[slot]![0]!);
    const sent = { primary: 0, cluster: 0 };
    const count = (target: { evalsha: (...args: never[]) => unknown }, counter: keyof typeof sent) => {
      const original = target.evalsha.bind(target);
      Object.assign(target, { evalsha: (...args: never[]) => (sent[counter]++, original(...args)) });
      return () => Object.assign(target, { evalsha: original });
    };
    const restore = [count(primary, 'primary'), count(cluster, 'cluster')];
    try {
      await store.saveSession('sandbox', session, issue(session));
      expect(sent).toEqual({ primary: 1, cluster: 0 });
      // A connection that is not ready (a node lost, a failover under way): the Cluster's own path has it, which
      // refuses at once without an offline queue (503), as before, until its slot map names a ready primary.
      const status = Object.getOwnPropertyDescriptor(primary, 'status')!;
      Object.defineProperty(primary, 'status', { value: 'reconnecting', configurable: true, writable: true });
      try {
        await expect(store.saveSession('sandbox', record('key_routed'), undefined)).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        Object.defineProperty(primary, 'status', status);
      }
      expect(sent.cluster).toBe(1);
    } finally {
      for (const undo of restore) undo();
    }
    expect(await store.getSession('sandbox', session.jti)).toEqual(session);
  });

  it('saves and revokes many keys’ sessions at once, as concurrent requests do (one pipeline per node)', async () => {
    const store = new RedisSessionStore(redis, { prefix, clock });
    const sessions = Array.from({ length: 60 }, (_, i) => record(`key_busy${String(i).padStart(2, '0')}`));
    // Issued in one tick: auto-pipelining batches them by node, and each script must still reach its keys' node.
    await Promise.all(sessions.map((session) => store.saveSession('sandbox', session, issue(session))));
    expect(await Promise.all(sessions.map((session) => store.getSession('sandbox', session.jti)))).toEqual(sessions);
    expect(await Promise.all(sessions.map((session) => store.revokeKeySessions('sandbox', session.keyId)))).toEqual(sessions.map(() => 1));
  });

  it('saves on primaries that have never run its script (a new or promoted node), in the same tick', async () => {
    const store = new RedisSessionStore(redis, { prefix, clock });
    // Scripts go as EVALSHA so that they share each node's pipeline; a node without the script answers NOSCRIPT.
    await Promise.all((redis as Cluster).nodes('master').map((node) => node.script('FLUSH')));
    const sessions = Array.from({ length: 30 }, (_, i) => record(`key_noscript${String(i).padStart(2, '0')}`));
    await Promise.all(sessions.map((session) => store.saveSession('sandbox', session, issue(session))));
    expect(await Promise.all(sessions.map((session) => store.getSession('sandbox', session.jti)))).toEqual(sessions);
  });
});
