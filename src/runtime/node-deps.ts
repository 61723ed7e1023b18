// Builds createApp's dependencies for Node: SQLite (better-sqlite3) or PostgreSQL, sessions in Redis or in process.
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppDeps } from '../services.js';
import { describeRedis, isPostgresUrl, type Config } from '../config.js';
import { generateAdminToken } from '../core/secrets.js';
import { MemoryKeyLimiter } from '../adapters/memory/memory-key-limiter.js';
import { MemoryRateLimiter } from '../adapters/memory/memory-rate-limiter.js';
import { MemoryReplayStore } from '../adapters/memory/memory-replay-store.js';
import { MemoryUsageMeter } from '../adapters/memory/memory-usage-meter.js';
import { MemoryConsoleSessionStore } from '../adapters/memory/memory-console-session-store.js';
import { MemorySessionStore } from '../adapters/memory/memory-session-store.js';
import { RedisConsoleSessionStore } from '../adapters/node/redis-console-session-store.js';
import { resolveLocalSecret } from '../adapters/node/local-secrets.js';
import { RedisKeyLimiter } from '../adapters/node/redis-key-limiter.js';
import { RedisKeyVersions } from '../adapters/node/redis-key-versions.js';
import { RedisRateLimiter } from '../adapters/node/redis-rate-limiter.js';
import { RedisReplayStore } from '../adapters/node/redis-replay-store.js';
import { createRedisConnection, type RedisClient, type RedisEndpoint } from '../adapters/node/redis-client.js';
import type { Redis } from 'ioredis';
import { RedisUsageMeter } from '../adapters/node/redis-usage-meter.js';
import { BatchedUsageMeter } from '../adapters/node/batched-usage-meter.js';
import { RedisSessionStore } from '../adapters/node/redis-session-store.js';
import { clusterNodeSubscribers, duplicateSubscribers, RedisChangeFeed, type SubscriberConnection } from '../adapters/node/redis-change-feed.js';
import { openSqliteDatabase } from '../adapters/node/sqlite-database.js';
import { SqlSigningKeyStore } from '../adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore } from '../adapters/sql/sql-store.js';
import { SqlWebhookStore } from '../adapters/sql/sql-webhook-store.js';
import { createHttpWebhookSender } from '../adapters/node/http-webhook-sender.js';
import type { KeyLimiter } from '../ports/key-limiter.js';
import type { KeyVersions } from '../ports/key-versions.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { ReplayStore } from '../ports/replay-store.js';
import type { UsageMeter } from '../ports/usage-meter.js';
import { createSealer } from '../core/sealing.js';
import { createWebhookDispatcher, startWebhookWorker } from '../core/webhook-dispatcher.js';
import { systemClock, type Clock, type Logger, type ReadinessChecks } from '../ports/runtime.js';
import type { ConsoleSessionStore } from '../ports/console-session-store.js';
import type { SessionStore } from '../ports/session-store.js';
import type { KeyStore } from '../ports/key-store.js';
import type { ChangeFeed } from '../ports/change-feed.js';
import type { SigningKeyStore } from '../ports/signing-key-store.js';
import type { WebhookStore } from '../ports/webhook-store.js';
import { createPrometheusMetrics } from '../adapters/node/prometheus-metrics.js';
import { nodeCrypto } from '../adapters/node/node-crypto.js';
import { createNodeUpstreamForwarder } from '../adapters/node/http-forwarder.js';
import { apiReferenceScriptFrom, findApiReferenceScript } from '../adapters/node/api-reference-script.js';

/** The file beside the database that keeps a generated pepper (KEYMINT_SECRET_PEPPER unset). */
export const PEPPER_FILE = 'secret-pepper';

export interface NodeDeps {
  deps: AppDeps;
  /** Where a generated root admin token was written, to tell the operator. */
  adminTokenFile: string | undefined;
  /** Writes what the process holds back (usage counts): a stop starts with it, before requests drain. */
  flushHeld(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The caller's address for the per-IP failure limit. Behind `trustedProxies` reverse proxies it is the
 * X-Forwarded-For entry the outermost of them added; entries further left are the client's own claims.
 */
export function clientIpReader(trustedProxies: number): (c: Context) => string | undefined {
  return function clientIp(c) {
    let socket: string | undefined;
    try {
      socket = getConnInfo(c).remote.address;
    } catch {
      socket = undefined;
    }
    if (trustedProxies === 0) return socket;
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
    return hops[hops.length - trustedProxies] ?? socket;
  };
}

interface KeyStores {
  keyStore: KeyStore;
  signingKeyStore: SigningKeyStore;
  webhookStore: WebhookStore;
  ping(): Promise<void>;
  /** PostgreSQL: whether it answers now (postgres-database.ts); a SQLite file is always there. */
  reachable?: () => boolean;
  close(): Promise<void>;
}

/** PostgreSQL for a postgres:// KEYMINT_DATABASE (migrated first, under its lock), else the SQLite file. */
async function openKeyStores(config: Config, logger: Logger): Promise<KeyStores> {
  if (isPostgresUrl(config.database)) {
    // Loaded only when used: a SQLite gateway's start-up does not pay for the PostgreSQL driver and dialect.
    const [{ openPostgresDatabase }, { PgKeyStore }, { PgSigningKeyStore }, { PgWebhookStore }] = await Promise.all([
      import('../adapters/postgres/postgres-database.js'),
      import('../adapters/postgres/pg-key-store.js'),
      import('../adapters/postgres/pg-signing-key-store.js'),
      import('../adapters/postgres/pg-webhook-store.js'),
    ]);
    const database = await openPostgresDatabase(config.database, { pool: config.databasePool });
    return {
      keyStore: new PgKeyStore(database.db),
      signingKeyStore: new PgSigningKeyStore(database.db),
      webhookStore: new PgWebhookStore(database.db),
      ping: database.ping,
      reachable: database.reachable,
      close: database.close,
    };
  }
  const database = openSqliteDatabase(config.database, { logger });
  return {
    keyStore: new SqlKeyStore(database),
    signingKeyStore: new SqlSigningKeyStore(database),
    webhookStore: new SqlWebhookStore(database),
    ping: async () => database.ping(),
    close: async () => database.close(),
  };
}

/** Where the change feed subscribes: a Cluster's nodes in turn (each hears every PUBLISH), else the same server. */
function changeSubscribers(endpoint: RedisEndpoint, client: RedisClient): SubscriberConnection {
  if (endpoint.kind === 'cluster') {
    const { username, password, tls } = endpoint;
    return clusterNodeSubscribers(endpoint.nodes, { username, password, ...(tls && { tls: {} }) });
  }
  return duplicateSubscribers(client as Redis);
}

/** How often the webhook delivery worker looks for due deliveries. */
export const WEBHOOK_POLL_MS = 1000;

/**
 * `clock` (tests move it) reaches every store and the core alike. `webhookDeliveries` starts the delivery worker
 * (every serving process does; tests that do not want deliveries sent leave it out); `close()` stops it.
 */
export async function createNodeDeps(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  options: { webhookDeliveries?: { intervalMs: number } } = {},
): Promise<NodeDeps> {
  const stores = await openKeyStores(config, logger);
  // With PostgreSQL both are configured (loadConfig insists), so no file is written beside a database URL.
  const pepper = resolveLocalSecret(config.secretPepper, config.database, PEPPER_FILE);
  const adminToken = resolveLocalSecret(config.adminToken, config.database, 'admin-token', generateAdminToken);
  if (!config.kek) logger.warn('KEYMINT_KEK is not set: signing keys are stored unencrypted in the database');

  const readiness: ReadinessChecks = { database: stores.ping };
  const metrics = createPrometheusMetrics();
  let sessions: SessionStore;
  // Other nodes' changes (and theirs ours) travel through Redis pub/sub; without Redis this process is alone.
  let changeFeed: ChangeFeed | undefined;
  let rateLimiter: RateLimiter;
  let replayStore: ReplayStore;
  let consoleSessions: ConsoleSessionStore;
  let keyLimiter: KeyLimiter;
  let usageMeter: UsageMeter;
  let keyVersions: KeyVersions | undefined;
  let closeRedis = async () => {};
  if (config.redis) {
    const redis = createRedisConnection(config.redis);
    redis.on('error', (error: Error) => logger.warn('redis error', { error: error.message }));
    // A Cluster reports its nodes' errors apart.
    redis.on('node error', (error: Error, node: string) => logger.warn('redis node error', { node, error: error.message }));
    try {
      await redis.connect();
    } catch (error) {
      // Start anyway: the admin API and stateless verification work; minting answers 503 until Redis is back.
      logger.error('redis is unreachable at start-up; minting will answer 503 until it is back', {
        redis: describeRedis(config.redis),
        error: String(error),
      });
    }
    sessions = new RedisSessionStore(redis, { prefix: config.redisPrefix, clock });
    rateLimiter = new RedisRateLimiter(redis, { prefix: config.redisPrefix });
    replayStore = new RedisReplayStore(redis, { prefix: config.redisPrefix });
    consoleSessions = new RedisConsoleSessionStore(redis, config.redisPrefix, clock);
    changeFeed = new RedisChangeFeed(redis, changeSubscribers(config.redis, redis), { prefix: config.redisPrefix, logger, metrics });
    keyLimiter = new RedisKeyLimiter(redis, clock, config.redisPrefix);
    // Kept key rows pay off where a key read is a network round trip. On SQLite it is a function call, and a change
    // made to the file by a process without Redis (the CLI run without REDIS_URL) would go unmarked.
    if (isPostgresUrl(config.database)) keyVersions = new RedisKeyVersions(redis, { prefix: config.redisPrefix });
    // Counts are held in memory and written 4 times a second: no Redis command per token or proxied call.
    const usage = new BatchedUsageMeter(new RedisUsageMeter(redis, clock, config.redisPrefix), { clock, logger, metrics });
    usageMeter = usage;
    readiness.redis = async () => {
      // Fails at once while disconnected (no offline queue).
      await redis.ping();
    };
    const feed = changeFeed;
    closeRedis = async () => {
      await usage.close();
      await feed.close();
      await redis.quit().catch(() => redis.disconnect());
    };
  } else {
    logger.warn('REDIS_URL (or REDIS_CLUSTER_NODES, REDIS_SENTINELS) is not set: sessions are kept in process memory (lost on restart, not shared)');
    sessions = new MemorySessionStore(clock);
    rateLimiter = new MemoryRateLimiter(clock);
    replayStore = new MemoryReplayStore(clock);
    consoleSessions = new MemoryConsoleSessionStore(clock);
    keyLimiter = new MemoryKeyLimiter(clock);
    usageMeter = new MemoryUsageMeter(clock);
  }

  const webhookSender = createHttpWebhookSender();
  const webhookWorker = options.webhookDeliveries
    ? startWebhookWorker({
        dispatcher: createWebhookDispatcher({
          store: stores.webhookStore,
          sender: webhookSender,
          sealer: await createSealer(config.kek),
          clock,
          logger,
          allowPrivate: config.webhooksAllowPrivate,
          timeoutMs: config.webhookTimeoutMs,
        }),
        logger,
        intervalMs: options.webhookDeliveries.intervalMs,
      })
    : undefined;
  const forwarder = createNodeUpstreamForwarder({ timeoutMs: config.upstreamTimeoutMs });
  const referenceScript = findApiReferenceScript();
  if (!referenceScript) logger.warn('@scalar/api-reference is not installed: /docs links to /openapi.json only');
  return {
    deps: {
      config,
      clock,
      keyStore: stores.keyStore,
      signingKeyStore: stores.signingKeyStore,
      webhookStore: stores.webhookStore,
      webhookSender,
      sessionStore: sessions,
      consoleSessionStore: consoleSessions,
      metrics,
      changeFeed,
      crypto: nodeCrypto,
      upstreamForwarder: forwarder,
      readiness,
      apiReferenceScript: referenceScript ? apiReferenceScriptFrom(referenceScript) : undefined,
      rateLimiter,
      replayStore,
      keyLimiter,
      usageMeter,
      usageMeterShared: config.redis !== undefined,
      keyVersions,
      databaseReachable: stores.reachable,
      logger,
      rootAdminToken: adminToken.value,
      secretPepper: pepper.value,
      clientIp: clientIpReader(config.trustedProxies),
    },
    adminTokenFile: adminToken.path,
    flushHeld: () => usageMeter.flush?.() ?? Promise.resolve(),
    async close() {
      await webhookWorker?.stop();
      forwarder.close();
      await closeRedis();
      await stores.close();
    },
  };
}
