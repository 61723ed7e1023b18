// The servers the global setup starts really work: PostgreSQL answers queries with the given password, the Redis
// Cluster spreads keys over its primaries, and the Sentinels lead a client to the primary.
import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { findPostgresBin } from './support/postgres-server.js';
import { runCommand } from './support/processes.js';
import { primaryServingKey, redisCli } from './support/redis-cluster.js';

const postgresUrl = inject('postgresUrl');
const clusterNodes = inject('redisClusterNodes');
const sentinels = inject('redisSentinels');

describe.skipIf(!postgresUrl)('the test PostgreSQL', () => {
  it('accepts the keymint role with its password over TCP, and refuses a wrong one', async () => {
    const psql = `${findPostgresBin()}/psql`;
    const answer = await runCommand(psql, [postgresUrl!, '-tAc', 'select current_user, current_database(), version()']);
    expect(answer).toMatch(/^keymint\|keymint\|PostgreSQL 1\d/);
    const wrong = postgresUrl!.replace(/:[^:@]+@/, ':wrong@');
    await expect(runCommand(psql, [wrong, '-tAc', 'select 1'])).rejects.toThrow(/password authentication failed/);
  });
});

describe.skipIf(!clusterNodes)('the test Redis Cluster', () => {
  const nodes = clusterNodes!.split(',');
  const cluster = new Cluster(nodes.map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })));
  afterAll(() => cluster.disconnect());

  it('has three primaries with a replica each, and serves SET/GET for keys on every primary', async () => {
    const roles = await Promise.all(nodes.map(async (node) => (await redisCli(Number(node.split(':')[1]), 'role')).split('\n')[0]));
    expect(roles.sort()).toEqual(['master', 'master', 'master', 'slave', 'slave', 'slave']);

    const prefix = randomBase62(8);
    const keys = Array.from({ length: 30 }, (_, i) => `smoke:${prefix}:${i}`);
    for (const key of keys) await cluster.set(key, `value of ${key}`, 'EX', 60);
    for (const key of keys) expect(await cluster.get(key)).toBe(`value of ${key}`);
    // Each key lives on exactly one primary (the others answer MOVED), and thirty keys cannot all hash to
    // one primary's slots: the writes really went to several processes.
    const primaries = cluster.nodes('master');
    expect(primaries).toHaveLength(3);
    const holders = await Promise.all(
      keys.map(async (key) => {
        const answers = await Promise.all(primaries.map((primary) => primary.get(key).catch((error: Error) => error.message)));
        expect(answers.filter((answer) => answer === `value of ${key}`)).toHaveLength(1);
        return answers.findIndex((answer) => answer === `value of ${key}`);
      }),
    );
    expect(new Set(holders).size).toBe(3);
    // The helper a fault test uses agrees on where a key lives.
    const owner = await primaryServingKey(nodes[0]!, keys[0]!);
    expect(owner).toBe(`${primaries[holders[0]!]!.options.host}:${primaries[holders[0]!]!.options.port}`);
  });
});

describe.skipIf(!sentinels)('the test Redis Sentinel group', () => {
  it('leads an ioredis client to the primary it monitors', async () => {
    const client = new Redis({
      sentinels: sentinels!.split(',').map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })),
      name: inject('redisSentinelName')!,
    });
    try {
      const key = `smoke:${randomBase62(8)}`;
      await client.set(key, 'through sentinel', 'EX', 60);
      expect(await client.get(key)).toBe('through sentinel');
      // The connection the sentinels chose is the primary (a replica would refuse the SET anyway).
      expect(((await client.call('role')) as unknown[])[0]).toBe('master');
    } finally {
      client.disconnect();
    }
  });
});
