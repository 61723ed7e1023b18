// The Workers entry point: env → config → D1 and Workers KV → createApp, built once per isolate.
import type { Context, ExecutionContext } from 'hono';
import { openD1Database, type D1Binding } from '../adapters/workers/d1-database.js';
import { createConsoleLogger } from '../adapters/workers/console-logger.js';
import type { DurableNamespaceLike } from '../adapters/workers/durable-object.js';
import { DurableObjectRateLimiter } from '../adapters/workers/failure-counter-object.js';
import { KvRateLimiter } from '../adapters/workers/kv-rate-limiter.js';
import { MemoryKeyLimiter } from '../adapters/memory/memory-key-limiter.js';
import { MemoryUsageMeter } from '../adapters/memory/memory-usage-meter.js';
import { KvConsoleSessionStore } from '../adapters/workers/kv-console-session-store.js';
import { KvReplayStore } from '../adapters/workers/kv-replay-store.js';
import { DurableObjectReplayStore } from '../adapters/workers/replay-record-object.js';
import { DurableObjectKeyLimiter } from '../adapters/workers/key-limit-object.js';
import { DurableObjectSessionStore } from '../adapters/workers/session-partition-object.js';
import { DurableObjectUsageMeter } from '../adapters/workers/usage-object.js';
import { KvSessionStore, type KvNamespaceLike } from '../adapters/workers/kv-session-store.js';
import { SqlSigningKeyStore } from '../adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore } from '../adapters/sql/sql-store.js';
import { SqlWebhookStore } from '../adapters/sql/sql-webhook-store.js';
import { createApp, type KeymintApp } from '../app.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createSealer } from '../core/sealing.js';
import { createWebhookDispatcher, drainDueDeliveries } from '../core/webhook-dispatcher.js';
import { createFetchWebhookSender } from '../core/webhook-fetch-sender.js';
import { ApiProblem } from '../http/errors/api-problem.js';
import type { ReplayStore } from '../ports/replay-store.js';
import { systemClock, type Defer } from '../ports/runtime.js';

/** The bindings and variables wrangler.toml declares (secrets included). */
export interface WorkerEnv {
  DB?: D1Binding;
  SESSIONS?: KvNamespaceLike;
  /** Failure counters (wrangler.toml); when absent, the approximate ones in SESSIONS stand in. */
  FAILURE_COUNTERS?: DurableNamespaceLike;
  /** jti replay records (wrangler.toml); when absent, the non-atomic ones in SESSIONS stand in. */
  REPLAY_RECORDS?: DurableNamespaceLike;
  /** Per-key rate limits and quotas (wrangler.toml); when absent, each isolate keeps its own. */
  KEY_LIMITS?: DurableNamespaceLike;
  /** Session records and the issuance cache (wrangler.toml); when absent, SESSIONS (KV) keeps them. */
  SESSION_RECORDS?: DurableNamespaceLike;
  /** Usage counts per key and UTC hour (wrangler.toml); when absent, each isolate keeps its own. */
  USAGE_COUNTS?: DurableNamespaceLike;
  [variable: string]: unknown;
}

// No file sits beside a D1 database to keep generated secrets in, so these must be configured.
const REQUIRED_SECRETS = ['KEYMINT_ADMIN_TOKEN', 'KEYMINT_SECRET_PEPPER'] as const;
// Apps keyed by request origin, for deployments without KEYMINT_PUBLIC_URL; routes bound the set.
const MAX_DERIVED_ORIGINS = 16;

/** A deployment mistake the operator must fix; every request answers 500 naming it. */
class WorkerSetupError extends Error {
  override name = 'WorkerSetupError';
}

export { FailureCounterObject } from '../adapters/workers/failure-counter-object.js';
export { ReplayRecordObject } from '../adapters/workers/replay-record-object.js';
export { KeyLimitObject } from '../adapters/workers/key-limit-object.js';
export { SessionPartitionObject } from '../adapters/workers/session-partition-object.js';
export { UsageObject } from '../adapters/workers/usage-object.js';

const logger = createConsoleLogger();

// Work deferred past the response (lastUsedAt writes); each response hands what is pending to waitUntil.
const pending = new Set<Promise<unknown>>();
const defer: Defer = (work) => {
  const tracked: Promise<unknown> = work.catch(() => undefined).finally(() => pending.delete(tracked));
  pending.add(tracked);
};

function clientIp(c: Context): string | undefined {
  // Set by Cloudflare's edge; a client cannot supply its own.
  return c.req.header('cf-connecting-ip');
}

function setupProblems(env: WorkerEnv): string[] {
  const problems: string[] = [];
  if (!env.DB) problems.push('the D1 binding DB is missing (d1_databases in wrangler.toml)');
  if (!env.SESSIONS) problems.push('the KV binding SESSIONS is missing (kv_namespaces in wrangler.toml)');
  for (const secret of REQUIRED_SECRETS) {
    if (typeof env[secret] !== 'string' || env[secret] === '') {
      problems.push(`${secret} is not set; on Workers it is required (npx wrangler secret put ${secret})`);
    }
  }
  return problems;
}

/** The bindings and secrets checked, then the configuration; `origin` stands in for an unset KEYMINT_PUBLIC_URL. */
function workerConfig(env: WorkerEnv, origin: string | undefined): Config {
  const problems = setupProblems(env);
  if (problems.length > 0) throw new WorkerSetupError(problems.join('; '));
  try {
    return loadConfig({ ...env, KEYMINT_PUBLIC_URL: env.KEYMINT_PUBLIC_URL || origin });
  } catch (error) {
    if (error instanceof ConfigError) throw new WorkerSetupError(error.message.replace(/\n\s*/g, ' '));
    throw error;
  }
}

async function buildApp(env: WorkerEnv, origin: string): Promise<KeymintApp> {
  const config = workerConfig(env, origin);
  if (!config.kek) logger.warn('KEYMINT_KEK is not set: signing keys are stored unencrypted in D1');
  if (!env.FAILURE_COUNTERS) {
    logger.warn('the Durable Object binding FAILURE_COUNTERS is missing: failure limits are approximate (counted in KV)');
  }
  if (!env.KEY_LIMITS) {
    logger.warn('the Durable Object binding KEY_LIMITS is missing: per-key rate limits and quotas are kept per isolate, not exact');
  }
  if (!env.SESSION_RECORDS) {
    logger.warn(
      'the Durable Object binding SESSION_RECORDS is missing: sessions are kept in KV, so a revocation reaches other locations within about a minute',
    );
  }
  if (!env.USAGE_COUNTS) {
    logger.warn(
      'the Durable Object binding USAGE_COUNTS is missing: usage counts are kept per isolate, so the usage API shows only what one isolate counted since it started',
    );
  }
  const database = openD1Database(env.DB!);
  const kv = { prefix: config.redisPrefix, clock: systemClock };
  const kvStore = new KvSessionStore(env.SESSIONS!, kv);
  return createApp({
    config,
    keyStore: new SqlKeyStore(database),
    signingKeyStore: new SqlSigningKeyStore(database),
    // Deliveries wait in the outbox for the Cron Trigger (`scheduled` below).
    webhookStore: new SqlWebhookStore(database),
    webhookSender,
    sessionStore: env.SESSION_RECORDS ? new DurableObjectSessionStore(env.SESSION_RECORDS, kv) : kvStore,
    consoleSessionStore: new KvConsoleSessionStore(env.SESSIONS!, kv),
    rateLimiter: env.FAILURE_COUNTERS
      ? new DurableObjectRateLimiter(env.FAILURE_COUNTERS, kv)
      : new KvRateLimiter(env.SESSIONS!, kv),
    replayStore: env.REPLAY_RECORDS
      ? new DurableObjectReplayStore(env.REPLAY_RECORDS, kv)
      : warnedKvReplayStore(new KvReplayStore(env.SESSIONS!, kv)),
    // Places in the store: exact with the Durable Object (approximate in KV). Never Node's in-process queue, whose
    // waiting requests workerd cancels as hung.
    failureAdmission: 'exact',
    // Without the binding, per isolate: not exact across isolates (KV cannot count atomically).
    keyLimiter: env.KEY_LIMITS ? new DurableObjectKeyLimiter(env.KEY_LIMITS, kv) : new MemoryKeyLimiter(systemClock),
    // Counted after the response (ctx.waitUntil), one object request per count.
    usageMeter: env.USAGE_COUNTS ? new DurableObjectUsageMeter(env.USAGE_COUNTS, kv) : new MemoryUsageMeter(systemClock),
    logger,
    rootAdminToken: config.adminToken!,
    secretPepper: config.secretPepper!,
    defer,
    clientIp,
    readiness: { database: () => database.ping(), kv: () => kvStore.ping() },
  });
}

/**
 * Workers KV as the replay store, for a deployment without the REPLAY_RECORDS binding: says once per isolate,
 * when a jti is first checked (a private_key_jwt client or a DPoP proof is in use), that replays are caught
 * only approximately.
 */
function warnedKvReplayStore(store: ReplayStore): ReplayStore {
  let warned = false;
  return {
    firstSeen(environment, id, expiresAt) {
      if (!warned) {
        warned = true;
        logger.warn(
          'the Durable Object binding REPLAY_RECORDS is missing: client assertion and DPoP proof jti replay records are in Workers KV, which is not atomic and is eventually consistent, so a replay within about a minute may pass (docs/workers.md)',
        );
      }
      return store.firstSeen(environment, id, expiresAt);
    },
  };
}

// fetch resolves names out of keymint's sight: address literals are checked, names go to Cloudflare's network.
const webhookSender = createFetchWebhookSender();

/**
 * Delivery rounds (of up to 20 deliveries each, sent concurrently) one Cron Trigger run makes; what is left waits
 * for the next run, a minute later. Each round takes at most KEYMINT_WEBHOOK_TIMEOUT_MS.
 */
const DELIVERY_ROUNDS_PER_RUN = 10;

/** One Cron Trigger run: the deliveries due now, sent with fetch by the core dispatcher Node runs too. */
async function deliverDueWebhooks(env: WorkerEnv): Promise<void> {
  const config = workerConfig(env, undefined);
  const dispatcher = createWebhookDispatcher({
    store: new SqlWebhookStore(openD1Database(env.DB!)),
    sender: webhookSender,
    sealer: await createSealer(config.kek),
    clock: systemClock,
    logger,
    allowPrivate: config.webhooksAllowPrivate,
    timeoutMs: config.webhookTimeoutMs,
  });
  const tried = await drainDueDeliveries(dispatcher, DELIVERY_ROUNDS_PER_RUN);
  if (tried > 0) logger.info('webhook deliveries tried', { tried });
}

const apps = new WeakMap<WorkerEnv, Map<string, Promise<KeymintApp>>>();

/** The app for this isolate's env (and origin, when the public URL is derived from requests). */
function appFor(env: WorkerEnv, request: Request): Promise<KeymintApp> {
  const origin = env.KEYMINT_PUBLIC_URL ? '' : new URL(request.url).origin;
  let byOrigin = apps.get(env);
  if (!byOrigin) apps.set(env, (byOrigin = new Map()));
  const built = byOrigin.get(origin);
  if (built) return built;
  const building = buildApp(env, origin);
  if (byOrigin.size < MAX_DERIVED_ORIGINS) {
    byOrigin.set(origin, building);
    // A failed build is not kept: the next request tries again (and logs again).
    building.catch(() => byOrigin.delete(origin));
  }
  return building;
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let app: KeymintApp;
    try {
      app = await appFor(env, request);
    } catch (error) {
      const detail = error instanceof WorkerSetupError ? error.message : 'the gateway could not start';
      logger.error('keymint is misconfigured', { error: String((error as Error).stack ?? error) });
      return new ApiProblem(500, 'internal_error', detail).toResponse();
    }
    const response = await app.fetch(request, env, ctx);
    if (pending.size > 0) ctx.waitUntil(Promise.allSettled([...pending]));
    return response;
  },

  /** The Cron Trigger of wrangler.toml (every minute): webhook deliveries. A failed run is logged; the next one retries. */
  async scheduled(_controller: ScheduledControllerLike, env: WorkerEnv, _ctx?: ExecutionContext): Promise<void> {
    try {
      await deliverDueWebhooks(env);
    } catch (error) {
      const detail = error instanceof WorkerSetupError ? error.message : String((error as Error).stack ?? error);
      logger.error('webhook delivery run failed', { error: detail });
    }
  },
};

/** What a Cron Trigger run hands the handler (the Worker types' ScheduledController, named here without them). */
interface ScheduledControllerLike {
  readonly scheduledTime: number;
  readonly cron: string;
}
