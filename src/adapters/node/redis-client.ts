// Clients of the shared session store (ioredis): one Redis, a Redis Cluster, or the primary of a Sentinel group,
// each tuned to fail fast so that a Redis that cannot answer costs a request 503 within seconds, never a hang.
import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { guardStore, StoreUnavailableError } from '../../ports/store-errors.js';

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
      return keepConnecting(new Redis({
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
      }));
  }
}

/** What keepConnecting reads and resets of ioredis's Redis (6.0.0, pinned): set by disconnect() and QUIT, until the close. */
interface RedisInternals {
  manuallyClosing: boolean;
}

/**
 * A Sentinel client that goes on reconnecting after a failover notice cut one of its reconnects short.
 *
 * ioredis 6.0.0 gives such a client up for good: when the failover detector hears +switch-master while a reconnect
 * is asking the sentinels where the primary is, that connect() rejects ("Connection is closed."), the status goes
 * from `connecting` straight to `end`, and nothing retries it: every command after that fails at once (503s until a
 * restart). A client closed on purpose goes to `end` through `close`, or with `manuallyClosing` still set.
 */
function keepConnecting(client: Redis): Redis {
  let previous = client.status;
  for (const status of ['connecting', 'connect', 'ready', 'close', 'reconnecting'] as const) {
    client.on(status, () => (previous = status));
  }
  const internals = client as unknown as RedisInternals;
  const closedOnPurpose = () => internals.manuallyClosing;
  client.on('end', () => {
    if (previous === 'connecting' && !closedOnPurpose()) {
      setTimeout(() => {
        if (client.status === 'end' && !closedOnPurpose()) client.connect().catch(() => undefined);
      }, reconnectDelay(1)).unref();
      return;
    }
    // Closed on purpose. After QUIT, ioredis leaves the failover detector's sentinel connections open, reconnecting
    // for ever (and keeping the process alive); disconnect() is what closes them. It also marks the client as
    // closing, which the close already settled: cleared again, so that a later connect() reconnects as usual.
    if (client.status !== 'end') return;
    client.disconnect();
    internals.manuallyClosing = false;
  });
  return client;
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
      // For the scripts sent on a node's own connection (defineScript): its commands of one tick in one write.
      enableAutoPipelining: true,
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
 * Defines a Lua script as command `name` of `redis`: EVALSHA, and EVAL when the server answers NOSCRIPT (a new or
 * promoted node). Calls take the number of keys first, then the keys, then the arguments.
 *
 * On a Cluster, ioredis's own script commands cannot be auto-pipelined: it sorts a command it does not know by its
 * first argument, the number of keys (redis/ioredis#2109). EVALSHA is a command it knows, sorted by its first key,
 * so concurrent scripts leave in one write per node with the other commands of their tick, as on one Redis. A
 * redirection inside an auto-pipeline reaches the command as an error (MOVED, ASK: a slot moved or moving) rather
 * than being followed; the script then goes once more as EVAL, outside auto-pipelining, where the client follows
 * redirections and refreshes its slot map. Both answers mean the script did not run, so sending it again is safe.
 */
export function defineScript(redis: RedisClient, name: string, lua: string): void {
  if (name in redis) return;
  if (!(redis instanceof Cluster)) {
    redis.defineCommand(name, { lua });
    return;
  }
  if (!redis.options.autoPipeliningIgnoredCommands?.includes('eval')) {
    // A new array: the default one is shared by every client.
    redis.options.autoPipeliningIgnoredCommands = [...(redis.options.autoPipeliningIgnoredCommands ?? []), 'eval'];
  }
  const sha = createHash('sha1').update(lua).digest('hex');
  const run = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => {
    const primary = numberOfKeys > 0 ? primaryOf(redis, String(keysThenArgs[0])) : undefined;
    return (primary ?? redis).evalsha(sha, numberOfKeys, ...keysThenArgs).catch((error: unknown) => {
      if (!(error instanceof Error && SEND_AS_EVAL.test(error.message))) throw error;
      return redis.eval(lua, numberOfKeys, ...keysThenArgs);
    });
  };
  Object.defineProperty(redis, name, { value: run });
}

/** What primaryOf reads of ioredis's Cluster (6.0.0, pinned): its slot map and its connection per node. */
interface ClusterInternals {
  slots: (string[] | undefined)[];
  connectionPool: { getInstanceByKey(node: string): Redis | undefined };
}

/**
 * The connection to the primary that holds `key`'s slot now, when it is ready: a script sent on it (auto-pipelined
 * on that connection, with the other commands of its tick to that node) costs the client what one Redis costs,
 * where the Cluster's own send path, which works out the slot and node again for each command, cost ~10 µs more
 * CPU per script (a bare loop of 50 concurrent scripts, bench/README.md round 7). Undefined, and the Cluster sends
 * it, while the slot's node is unknown or not connected (a failover under way); a MOVED or ASK answer sends it again
 * through the Cluster as EVAL, which follows the redirection, as for any script.
 */
function primaryOf(cluster: Cluster, key: string): Redis | undefined {
  const internals = cluster as unknown as ClusterInternals;
  const node = internals.slots[calculateSlot(key)]?.[0];
  const connection = node === undefined ? undefined : internals.connectionPool.getInstanceByKey(node);
  return connection?.status === 'ready' ? connection : undefined;
}

/** EVALSHA answers after which the script goes again as EVAL: unknown to the node, or its slot elsewhere. */
const SEND_AS_EVAL = /^(NOSCRIPT|MOVED|ASK|TRYAGAIN) /;

/**
 * Errors that prove Redis never ran the command: the client did not send it (no connection, no offline queue),
 * or the server refused it before running it. After any other error (a timeout, a connection lost after sending)
 * the command may have run, so sending a counter's increment again could count it twice.
 */
const NEVER_RAN =
  /isn't writeable|isn't ready|enableOfflineQueue|^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|OOM|READONLY|MASTERDOWN|NOSCRIPT|BUSY|NOAUTH|WRONGPASS|NOPERM)\b/;

export function commandNeverRan(error: unknown): boolean {
  const original = error instanceof StoreUnavailableError && error.cause !== undefined ? error.cause : error;
  return original instanceof Error && NEVER_RAN.test(original.message);
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

/**
 * Runs a Redis operation; every ioredis error is a connection, timeout or server fault, raised as the store being
 * unavailable. On a Cluster, a command answered MOVED or ASK inside an auto-pipeline comes back as that error
 * (ioredis follows redirections only for commands sent alone, and retries a pipeline only when every command in it
 * failed alike), and the client's slot map stays stale until its next refresh (2 s): a slot moved (resharding) or
 * a manual failover. The map is refreshed at once instead, so the next request goes to the right node.
 */
export function guarded<T>(redis: RedisClient, work: () => Promise<T>): Promise<T> {
  return guardStore('redis', () =>
    work().catch((error: unknown) => {
      if (redis instanceof Cluster && error instanceof Error && REDIRECTED.test(error.message)) redis.refreshSlotsCache();
      throw error;
    }),
  );
}

const REDIRECTED = /^(MOVED|ASK) /;
