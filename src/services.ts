// The composition root: createServices(deps) wires the core to the ports the runtime chose (runtime/node-deps.ts,
// runtime/worker.ts), once; the router (app.ts) is built over what it returns.
import type { Context } from 'hono';
import type { Config } from './config.js';
import { createAdminAccess } from './core/admin-access.js';
import { createAdminTokenGuard } from './core/admin-token-guard.js';
import { createConsoleSessions } from './core/console-sessions.js';
import { createClientAuthenticator } from './core/client-auth.js';
import { createDpopProofs } from './core/dpop-proofs.js';
import { createFailureLimit, FAILURE_WINDOW_SECONDS, UNDER_LIMIT_MEMO_MS, type FailureAdmission } from './core/failure-limit.js';
import { announceKeyChanges, announceSessionChanges, createChangeNotices } from './core/change-notices.js';
import { createKeyCache } from './core/key-cache.js';
import { createKeyRows, markingKeyWrites, type KeyRows } from './core/key-rows.js';
import { createKeyLimitsCache } from './core/key-limits.js';
import { createKeyUsageReader } from './core/key-usage.js';
import { createGatewayRouting, createGatewayRoutes } from './core/gateway.js';
import { createKeyManagement } from './core/key-management.js';
import { createSigningKeyring } from './core/keyring.js';
import { createUpstreamForwarder } from './core/proxy-forward.js';
import { createSealer } from './core/sealing.js';
import { createReplayGuards } from './core/replay.js';
import { createSecretHasher } from './core/secrets.js';
import { createSessionTokens } from './core/session-tokens.js';
import { createSessions } from './core/sessions.js';
import { createUsageRecorder } from './core/usage.js';
import { webCrypto } from './core/web-crypto.js';
import { createUsageCounting } from './core/usage-counting.js';
import { createWebhookManagement } from './core/webhook-management.js';
import type { Services } from './http/services.js';
import type { ApiReferenceScriptSource } from './ports/api-reference-script.js';
import type { ChangeFeed } from './ports/change-feed.js';
import type { ConsoleSessionStore } from './ports/console-session-store.js';
import type { CryptoProvider } from './ports/crypto.js';
import type { KeyLimiter } from './ports/key-limiter.js';
import type { KeyStore } from './ports/key-store.js';
import type { KeyVersions } from './ports/key-versions.js';
import type { RateLimiter } from './ports/rate-limiter.js';
import type { ReplayStore } from './ports/replay-store.js';
import { noMetrics, systemClock, type Clock, type Defer, type Logger, type Metrics, type ReadinessChecks } from './ports/runtime.js';
import type { SessionStore } from './ports/session-store.js';
import type { SigningKeyStore } from './ports/signing-key-store.js';
import type { UpstreamForwarder } from './ports/upstream-forwarder.js';
import type { UsageMeter } from './ports/usage-meter.js';
import type { WebhookSender } from './ports/webhook-sender.js';
import type { WebhookStore } from './ports/webhook-store.js';

export interface AppDeps {
  config: Config;
  keyStore: KeyStore;
  signingKeyStore: SigningKeyStore;
  sessionStore: SessionStore;
  /** An account's webhooks and their delivery outbox, in the same database as the keys (the KeyStore queues to it). */
  webhookStore: WebhookStore;
  /** Resolves a webhook's host when it is created (node:dns on Node); without one the check waits for delivery. */
  webhookSender?: WebhookSender;
  /** Signed-in web-console sessions (Redis, Workers KV or process memory, beside the session store). */
  consoleSessionStore: ConsoleSessionStore;
  rateLimiter: RateLimiter;
  /** The `jti` of client assertions and DPoP proofs, remembered across nodes (Redis, Workers KV or process memory). */
  replayStore: ReplayStore;
  /**
   * How a burst of attempts at one secret is admitted (core/failure-limit.ts): `bounded` (the default, Node) reads
   * the counters once per attempt and queues attempts per counter in the process; `exact` (Workers) takes a place
   * in the store per attempt, as workerd cancels a request that waits on an in-process queue.
   */
  failureAdmission?: FailureAdmission;
  /** Per-key rate limits and quotas (SPEC §7): Redis, or process memory for one process without it. */
  keyLimiter: KeyLimiter;
  /** Per-key usage by hour (SPEC §7), beside the key limiter. */
  usageMeter: UsageMeter;
  /** Whether usageMeter is shared by every process (Redis); absent: it is this process's memory. */
  usageMeterShared?: boolean;
  logger: Logger;
  /** The operator's root admin token, resolved by the runtime (configured or generated). */
  rootAdminToken: string;
  /** The pepper for secret hashes, resolved by the runtime (configured or generated). */
  secretPepper: string;
  clock?: Clock;
  defer?: Defer;
  clientIp?: (c: Context) => string | undefined;
  /** Prometheus metrics on Node; none elsewhere. */
  metrics?: Metrics;
  /** The reverse proxy's upstream client; node:http on Node, fetch (the default) elsewhere. */
  upstreamForwarder?: UpstreamForwarder;
  /** HMAC and JWT signing; node:crypto on Node, WebCrypto (the default) elsewhere. */
  crypto?: CryptoProvider;
  /** Probes behind /readyz (database, Redis). */
  readiness?: ReadinessChecks;
  /** The /docs reference's browser script; Node ships it, Workers do not (their /docs links to /openapi.json). */
  apiReferenceScript?: ApiReferenceScriptSource;
  /** How the nodes sharing the database tell each other about changes (Redis pub/sub); none for one process alone. */
  changeFeed?: ChangeFeed;
  /**
   * Each key's mark, replaced by every change (Redis): with it the token endpoint keeps key rows in memory and checks
   * them against the mark at each request; without it, each request reads the key store.
   */
  keyVersions?: KeyVersions;
  /**
   * Whether the key store's database answers now (PostgreSQL): kept key rows answer only while it does, so minting
   * answers 503 from the moment it goes away, as SPEC §6 says, not only once a row is read again.
   */
  databaseReachable?: () => boolean;
}

// How long caches keep an answer while other nodes' changes reach them (the feed is healthy), and in a process alone
// (no feed, as on Workers). While the feed is down, at most 1 s (core/change-notices.ts).
const KEY_CACHE_MS = { whileHealthy: 60_000, withoutFeed: 1000 };
const KEYRING_MS = { whileHealthy: 60_000, withoutFeed: 60_000 };

export async function createServices(deps: AppDeps): Promise<Services> {
  const { config, logger } = deps;
  const metrics = deps.metrics ?? noMetrics;
  const clock = deps.clock ?? systemClock;
  const defer: Defer = deps.defer ?? ((work) => void work.catch(() => undefined));
  const hasher = await createSecretHasher(deps.secretPepper, deps.crypto);
  const sealer = await createSealer(config.kek);
  // Every change is applied to this process's caches at once and announced to the other nodes; theirs come back here.
  const notices = createChangeNotices({ feed: deps.changeFeed, logger });
  const keyring = createSigningKeyring({
    store: deps.signingKeyStore,
    audit: deps.keyStore,
    sealer,
    clock,
    algorithm: config.signingAlg,
    tokenLifetime: (environment) => config.sessionTtl[environment],
    rotationDays: config.signingKeyRotationDays,
    crypto: deps.crypto,
    announce: notices.announce,
    maxAgeMs: notices.cacheLifetime(KEYRING_MS),
  });
  // The proxy's services and audiences, swapped whole when the configuration is reloaded (SIGHUP on Node).
  const gateway = createGatewayRouting(createGatewayRoutes(config.services, config.publicUrl));
  const tokens = createSessionTokens({
    keyring,
    clock,
    publicUrl: config.publicUrl,
    lifetime: config.sessionTtl,
    knownAudience: (environment, aud) => gateway.current[environment].audiences.isKnown(aud),
  });
  const usage = createUsageRecorder({ keys: deps.keyStore, clock, defer, logger });
  // Api-Key calls on the proxy look keys up through a cache that key changes clear, this node's and the others'.
  const keyCache = createKeyCache({ keys: deps.keyStore, clock, maxAgeMs: notices.cacheLifetime(KEY_CACHE_MS), maxEntries: 10_000 });
  notices.listen(keyCache.hear);
  notices.listen(keyring.hear);
  // Session-token calls on the proxy find their key's limits the same way, by the token's key id.
  const keyLimits = createKeyLimitsCache({ keys: deps.keyStore, clock, logger, maxAgeMs: notices.cacheLifetime(KEY_CACHE_MS), maxEntries: 10_000 });
  notices.listen(keyLimits.hear);
  // The token endpoint's key rows, checked against each key's mark by the request's session write, or a read of the
  // mark before a refusal (SPEC §6: the next request).
  let keyRows: KeyRows | undefined;
  if (deps.keyVersions) {
    keyRows = createKeyRows({
      keys: deps.keyStore,
      versions: deps.keyVersions,
      clock,
      maxAgeMs: notices.cacheLifetime(KEY_CACHE_MS),
      maxEntries: 10_000,
      storeReachable: deps.databaseReachable,
    });
    notices.listen(keyRows.hear);
  }
  // Key changes are marked for the other nodes' kept rows, then announced for their caches.
  const changedKeys = announceKeyChanges(deps.keyVersions ? markingKeyWrites(deps.keyStore, deps.keyVersions, logger) : deps.keyStore, notices);
  const failureLimit = createFailureLimit({
    limiter: deps.rateLimiter,
    windowSeconds: FAILURE_WINDOW_SECONDS,
    admission: deps.failureAdmission ?? 'bounded',
    underLimitMemoMs: UNDER_LIMIT_MEMO_MS,
    logger,
  });
  const adminAccess = await createAdminAccess({
    keys: deps.keyStore,
    hasher,
    rootToken: deps.rootAdminToken,
    onTokenUsed: (token) => usage.recordAdminTokenUse(token.id, token.lastUsedAt),
  });
  const sessions = createSessions({
    tokens,
    store: deps.sessionStore,
    clock,
    usage,
    issuanceCache: config.issuanceCache,
    // Token exchange may narrow to any service's audience the subject reaches (SPEC §7, §8), as configured now.
    audiences: (environment) => {
      const table = gateway.current[environment].audiences;
      return { default: table.defaultAudience, services: table.named };
    },
  });
  const replay = createReplayGuards(deps.replayStore);
  // Every node derives the same nonce key from the pepper, so any node checks any node's nonces statelessly.
  const nonceHmac = config.dpopNonces ? await (deps.crypto ?? webCrypto).createHmac(`${deps.secretPepper}|dpop-nonce`) : undefined;
  return {
    config,
    clock,
    logger,
    metrics,
    keyring,
    tokens,
    sessions,
    // Decided here, once: the proxy checks session tokens statelessly (no read at all) or, in strict mode,
    // against their records too (revoked sessions fail).
    checkSession: config.strictSessions ? sessions.describe : tokens.verify,
    dpop: createDpopProofs({ replay, clock, nonceHmac }),
    clients: createClientAuthenticator({
      keys: deps.keyStore,
      hasher,
      clock,
      failures: failureLimit,
      limits: { perClient: config.authFailuresPerClient, perIp: config.authFailuresPerIp },
      findKeyBySecretHash: keyCache.findKeyBySecretHash,
      replay,
      keyRows,
    }),
    management: createKeyManagement({
      keys: changedKeys,
      sessions: announceSessionChanges(deps.sessionStore, notices),
      hasher,
      clock,
      keysPerEnvironment: config.keysPerEnvironment,
      keysPerAccount: config.keysPerAccount,
      allowedScopes: config.scopes,
    }),
    webhooks: createWebhookManagement({
      webhooks: deps.webhookStore,
      keys: deps.keyStore,
      sealer,
      clock,
      allowPrivate: config.webhooksAllowPrivate,
      resolve: (host) => deps.webhookSender?.resolve(host) ?? Promise.resolve(null),
    }),
    adminAccess,
    adminGuard: createAdminTokenGuard({ access: adminAccess, failures: failureLimit, failuresPerIp: config.authFailuresPerIp }),
    consoleSessions: createConsoleSessions({ store: deps.consoleSessionStore, hasher, access: adminAccess, clock }),
    failureLimit,
    forwarder: deps.upstreamForwarder ?? createUpstreamForwarder({ timeoutMs: config.upstreamTimeoutMs }),
    usage,
    gateway,
    keyLimiter: deps.keyLimiter,
    keyLimits,
    usageCounts: createUsageCounting({ meter: deps.usageMeter, keys: deps.keyStore, defer, logger, metrics }),
    keyUsage: createKeyUsageReader({ keys: deps.keyStore, meter: deps.usageMeter, clock, shared: deps.usageMeterShared ?? false }),
    clientIp: deps.clientIp ?? (() => undefined),
  };
}


