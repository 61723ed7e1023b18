// Clients of the shared session store (ioredis): one Redis, a Redis Cluster, or the primary of a Sentinel group,
// each tuned to fail fast so that a Redis that cannot answer costs a request 503 within seconds, never a hang.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { guardStore } from '../../ports/store-errors.js';

/** What every Redis adapter is given: commands, scripts and pipelines, whichever kind of deployment serves them. */
export type RedisClient = Redis | Cluster;

export interface RedisNodeAddress {
  host: string;
  port: number;
}

interface RedisCredentials {
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** Where to connect (config.ts's RedisConnection: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS). */
export type RedisEndpoint =
  | { kind: 'single'; url: string }
  | ({ kind: 'cluster'; nodes: RedisNodeAddress[] } & RedisCredentials)
  | ({ kind: 'sentinel'; sentinels: RedisNodeAddress[]; name: string } & RedisCredentials);

/**
 * No offline queue (a command while disconnected fails at once), one retry, bounded connect and command
 * timeouts. Reconnecting happens in the background (each kind's retry strategy), so the gateway recovers
 * without a restart.
 */
const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 1500,
} as const satisfies RedisOptions;

const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1000);

/**
 * Commands issued in the same tick (concurrent requests' checks and writes) go out as one pipelined write;
 * on a Cluster, one per node. The client connects on `connect()`.
 */
export function createRedisConnection(endpoint: RedisEndpoint): RedisClient {
  switch (endpoint.kind) {
    case 'single':
      return createRedisClient(endpoint.url);
    case 'cluster':
      return new Cluster(endpoint.nodes, clusterOptions(endpoint));
    case 'sentinel':
      return new Redis({
        ...FAIL_FAST,
        lazyConnect: true,
        enableAutoPipelining: true,
        sentinels: endpoint.sentinels,
        name: endpoint.name,
        role: 'master',
        username: endpoint.username,
        password: endpoint.password,
        ...(endpoint.tls && { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} }),
        sentinelCommandTimeout: FAIL_FAST.connectTimeout,
        // Asked again on every reconnect: after a failover the sentinels name the promoted replica.
        retryStrategy: reconnectDelay,
        sentinelRetryStrategy: reconnectDelay,
        // Sentinels announce a failover (+switch-master): leave the old primary at once, even if it still answers.
        failoverDetector: true,
        // A primary demoted under us answers writes with READONLY: reconnect (to whatever the sentinels name now).
        reconnectOnError: (error) => error.message.startsWith('READONLY'),
      });
  }
}

function clusterOptions(endpoint: Extract<RedisEndpoint, { kind: 'cluster' }>): ClusterOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    // Reads go to primaries: a replica may lag behind a revocation or a counter.
    scaleReads: 'master',
    // Reconnects to the cluster as a whole in the background when every node was lost.
    clusterRetryStrategy: reconnectDelay,
    // After a failover the slot map changes; a refused or redirected command refreshes it, and so does this timer.
    slotsRefreshInterval: 2000,
    slotsRefreshTimeout: FAIL_FAST.connectTimeout,
    redisOptions: {
      maxRetriesPerRequest: FAIL_FAST.maxRetriesPerRequest,
      connectTimeout: FAIL_FAST.connectTimeout,
      commandTimeout: FAIL_FAST.commandTimeout,
      username: endpoint.username,
      password: endpoint.password,
      ...(endpoint.tls && { tls: {} }),
    },
  };
}

/**
 * Defines a Lua script as command `name` of `redis` (EVALSHA, falling back to EVAL), once per client. A script's
 * calls take the number of keys first, and ioredis's auto-pipelining on a Cluster sorts a command it does not know
 * by its first argument — that number, not a key (redis/ioredis#2109) — so concurrent calls for keys on different
 * nodes would share one pipeline, refused whole ("All keys in the pipeline should belong to the same slots
 * allocation group"). On a Cluster, scripts therefore bypass auto-pipelining and ioredis routes each by its keys.
 */
export function defineScript(redis: RedisClient, name: string, lua: string): void {
  if (name in redis) return;
  redis.defineCommand(name, { lua });
  if (redis instanceof Cluster) {
    // A new array: the default one is shared by every client.
    redis.options.autoPipeliningIgnoredCommands = [...(redis.options.autoPipeliningIgnoredCommands ?? []), name];
  }
}

/** One Redis at `url` (redis:// or rediss://), tuned as above. */
export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    ...FAIL_FAST,
    lazyConnect: true,
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
  });
}

/** Every ioredis error is a connection, timeout or server fault: the store is unavailable. */
export function guarded<T>(work: () => Promise<T>): Promise<T> {
  return guardStore('redis', work);
}
