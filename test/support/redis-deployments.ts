// The run's Redis Cluster and Sentinel group as gateway clients see them: endpoints for createRedisConnection,
// and connected clients for tests of the stores (test/support/servers.ts starts both).
import { inject } from 'vitest';
import { createRedisConnection, type RedisClient, type RedisEndpoint } from '../../src/adapters/node/redis-client.js';

export interface RedisDeployment {
  name: string;
  /** Null when the servers are not installed (and not required). */
  endpoint: RedisEndpoint | null;
  /** The KEYMINT_* / REDIS_* variables a gateway needs to use it. */
  env: Record<string, string>;
}

const node = (entry: string) => ({ host: entry.slice(0, entry.lastIndexOf(':')), port: Number(entry.slice(entry.lastIndexOf(':') + 1)) });
const noCredentials = { username: undefined, password: undefined, tls: false };

export function redisClusterDeployment(): RedisDeployment {
  const nodes = inject('redisClusterNodes');
  return {
    name: 'Redis Cluster',
    endpoint: nodes ? { kind: 'cluster', nodes: nodes.split(',').map(node), ...noCredentials } : null,
    env: nodes ? { REDIS_CLUSTER_NODES: nodes } : {},
  };
}

/** The endpoint of a Sentinel group: its sentinels as `host:port` and the name they monitor the primary under. */
export function sentinelEndpoint(sentinels: string[], name: string): RedisEndpoint {
  return { kind: 'sentinel', sentinels: sentinels.map(node), name, ...noCredentials };
}

export function redisSentinelDeployment(): RedisDeployment {
  const sentinels = inject('redisSentinels');
  const name = inject('redisSentinelName');
  return {
    name: 'Redis Sentinel',
    endpoint: sentinels && name ? sentinelEndpoint(sentinels.split(','), name) : null,
    env: sentinels && name ? { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: name } : {},
  };
}

/** A client as node-deps makes one, connected. */
export async function connectRedis(endpoint: RedisEndpoint): Promise<RedisClient> {
  const client = createRedisConnection(endpoint);
  client.on('error', () => {});
  await client.connect();
  return client;
}
