// Builds createApp's dependencies for Node: SQLite through better-sqlite3, sessions in Redis or in process.
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppDeps } from '../app.js';
import type { Config } from '../config.js';
import { generateAdminToken } from '../core/secrets.js';
import { MemoryRateLimiter } from '../adapters/memory/memory-rate-limiter.js';
import { MemorySessionStore } from '../adapters/memory/memory-session-store.js';
import { resolveLocalSecret } from '../adapters/node/local-secrets.js';
import { RedisRateLimiter } from '../adapters/node/redis-rate-limiter.js';
import { createRedisClient, RedisSessionStore } from '../adapters/node/redis-session-store.js';
import { openSqliteDatabase } from '../adapters/node/sqlite-database.js';
import { SqlSigningKeyStore } from '../adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore } from '../adapters/sql/sql-store.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { systemClock, type Clock, type Logger, type ReadinessChecks } from '../ports/runtime.js';
import type { SessionStore } from '../ports/session-store.js';
import { createPrometheusMetrics } from '../adapters/node/prometheus-metrics.js';
import { nodeCrypto } from '../adapters/node/node-crypto.js';
import { createNodeUpstreamForwarder } from '../adapters/node/http-forwarder.js';

export interface NodeDeps {
  deps: AppDeps;
  /** Where a generated root admin token was written, to tell the operator. */
  adminTokenFile: string | undefined;
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

/** `clock` (tests move it) reaches every store and the core alike. */
export async function createNodeDeps(config: Config, logger: Logger, clock: Clock = systemClock): Promise<NodeDeps> {
  const database = openSqliteDatabase(config.database, { logger });
  const pepper = resolveLocalSecret(config.secretPepper, config.database, 'secret-pepper');
  const adminToken = resolveLocalSecret(config.adminToken, config.database, 'admin-token', generateAdminToken);
  if (!config.kek) logger.warn('KEYMINT_KEK is not set: signing keys are stored unencrypted in the database');

  const readiness: ReadinessChecks = { database: async () => database.ping() };
  let sessions: SessionStore;
  let rateLimiter: RateLimiter;
  let closeRedis = async () => {};
  if (config.redisUrl) {
    const redis = createRedisClient(config.redisUrl);
    redis.on('error', (error: Error) => logger.warn('redis error', { error: error.message }));
    try {
      await redis.connect();
    } catch (error) {
      // Start anyway: the admin API and stateless verification work; minting answers 503 until Redis is back.
      logger.error('redis is unreachable at start-up; minting will answer 503 until it is back', {
        error: String(error),
      });
    }
    sessions = new RedisSessionStore(redis, { prefix: config.redisPrefix, clock });
    rateLimiter = new RedisRateLimiter(redis, { prefix: config.redisPrefix });
    readiness.redis = async () => {
      // Fails at once while disconnected (no offline queue).
      await redis.ping();
    };
    closeRedis = async () => void (await redis.quit().catch(() => redis.disconnect()));
  } else {
    logger.warn('REDIS_URL is not set: sessions are kept in process memory (lost on restart, not shared)');
    sessions = new MemorySessionStore(clock);
    rateLimiter = new MemoryRateLimiter(clock);
  }

  const forwarder = createNodeUpstreamForwarder({ timeoutMs: config.upstreamTimeoutMs });
  return {
    deps: {
      config,
      clock,
      keyStore: new SqlKeyStore(database),
      signingKeyStore: new SqlSigningKeyStore(database),
      sessionStore: sessions,
      metrics: createPrometheusMetrics(),
      crypto: nodeCrypto,
      upstreamForwarder: forwarder,
      readiness,
      rateLimiter,
      logger,
      rootAdminToken: adminToken.value,
      secretPepper: pepper.value,
      clientIp: clientIpReader(config.trustedProxies),
    },
    adminTokenFile: adminToken.path,
    async close() {
      forwarder.close();
      await closeRedis();
      database.close();
    },
  };
}
