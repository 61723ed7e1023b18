// createApp(deps): wires the core to its ports and mounts every router; one onError answers in each API's format.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { HTTPException } from 'hono/http-exception';
import type { Config } from './config.js';
import { createAdminAccess } from './core/admin-access.js';
import { createAdminTokenGuard } from './core/admin-token-guard.js';
import { createConsoleSessions } from './core/console-sessions.js';
import { createClientAuthenticator } from './core/client-auth.js';
import { createKeyCache, watchKeyChanges } from './core/key-cache.js';
import { createKeyManagement } from './core/key-management.js';
import { createSigningKeyring } from './core/keyring.js';
import { createSealer } from './core/sealing.js';
import { createSecretHasher } from './core/secrets.js';
import { createSessionTokens } from './core/session-tokens.js';
import { createSessions } from './core/sessions.js';
import { createUpstreamForwarder, type UpstreamForwarder } from './core/proxy-forward.js';
import { createUsageRecorder } from './core/usage.js';
import { accountRoutes } from './http/admin/accounts.js';
import { consoleRoutes } from './http/console/routes.js';
import { adminTokenRoutes } from './http/admin/admin-tokens.js';
import { keyRoutes } from './http/admin/keys.js';
import { operationRoutes } from './http/admin/operations.js';
import { reverseProxy } from './http/proxy/reverse-proxy.js';
import { adminAuthentication, MAX_ADMIN_BODY_BYTES } from './http/admin/request.js';
import { signingKeyRoutes } from './http/admin/signing-keys.js';
import { ApiProblem } from './http/errors/api-problem.js';
import { clientClosedResponse, isClientAbort } from './http/errors/client-closed.js';
import { OAuthError } from './http/errors/oauth-error.js';
import { discoveryEndpoint } from './http/oauth/discovery.js';
import { introspectionEndpoint } from './http/oauth/introspect.js';
import { jwksEndpoint } from './http/oauth/jwks.js';
import { revocationEndpoint } from './http/oauth/revoke.js';
import { tokenEndpoint } from './http/oauth/token.js';
import { tokenInfoEndpoint } from './http/oauth/tokeninfo.js';
import { mountObservability, observeRequests } from './http/observability.js';
import { mountApiDocs } from './http/openapi/routes.js';
import type { AppEnv, Services } from './http/services.js';
import type { ApiReferenceScriptSource } from './ports/api-reference-script.js';
import type { ConsoleSessionStore } from './ports/console-session-store.js';
import type { CryptoProvider } from './ports/crypto.js';
import type { KeyStore } from './ports/key-store.js';
import type { RateLimiter } from './ports/rate-limiter.js';
import { noMetrics, systemClock, type Clock, type Defer, type Logger, type Metrics, type ReadinessChecks } from './ports/runtime.js';
import type { SessionStore } from './ports/session-store.js';
import type { SigningKeyStore } from './ports/signing-key-store.js';
import { StoreUnavailableError } from './ports/store-errors.js';
import { ENVIRONMENTS } from './core/environments.js';

export interface AppDeps {
  config: Config;
  keyStore: KeyStore;
  signingKeyStore: SigningKeyStore;
  sessionStore: SessionStore;
  /** Signed-in web-console sessions (Redis, Workers KV or process memory, beside the session store). */
  consoleSessionStore: ConsoleSessionStore;
  rateLimiter: RateLimiter;
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
}

// The OAuth endpoints under /{env}/oauth/, each with the one method it answers.
const OAUTH_ENDPOINTS = [
  ['token', 'POST', tokenEndpoint],
  ['introspect', 'POST', introspectionEndpoint],
  ['revoke', 'POST', revocationEndpoint],
  ['tokeninfo', 'GET', tokenInfoEndpoint],
] as const;

function isOAuthPath(path: string): boolean {
  return /^\/(sandbox|production)\/oauth\//.test(path);
}

export async function createApp(deps: AppDeps) {
  const { config, logger } = deps;
  const metrics = deps.metrics ?? noMetrics;
  const clock = deps.clock ?? systemClock;
  const defer: Defer = deps.defer ?? ((work) => void work.catch(() => undefined));
  const hasher = await createSecretHasher(deps.secretPepper, deps.crypto);
  const keyring = createSigningKeyring({
    store: deps.signingKeyStore,
    sealer: await createSealer(config.kek),
    clock,
    algorithm: config.signingAlg,
    tokenLifetime: (environment) => config.sessionTtl[environment],
    rotationDays: config.signingKeyRotationDays,
    crypto: deps.crypto,
  });
  const tokens = createSessionTokens({ keyring, clock, publicUrl: config.publicUrl, lifetime: config.sessionTtl });
  const usage = createUsageRecorder({ keys: deps.keyStore, clock, defer, logger });
  // Api-Key calls on the proxy look keys up through a 1 s cache; this process's key changes clear it at once.
  const keyCache = createKeyCache({ keys: deps.keyStore, clock, ttlMs: 1000, maxEntries: 10_000 });
  const adminAccess = await createAdminAccess({ keys: deps.keyStore, hasher, rootToken: deps.rootAdminToken });
  const services: Services = {
    config,
    clock,
    logger,
    metrics,
    keyring,
    tokens,
    sessions: createSessions({ tokens, store: deps.sessionStore, clock, usage, issuanceCache: config.issuanceCache }),
    clients: createClientAuthenticator({
      keys: deps.keyStore,
      hasher,
      clock,
      findKeyBySecretHash: keyCache.findKeyBySecretHash,
    }),
    management: createKeyManagement({
      keys: watchKeyChanges(deps.keyStore, keyCache.forgetKey),
      sessions: deps.sessionStore,
      hasher,
      clock,
      keysPerEnvironment: config.keysPerEnvironment,
      allowedScopes: config.scopes,
    }),
    adminAccess,
    adminGuard: createAdminTokenGuard({ access: adminAccess, limiter: deps.rateLimiter, failuresPerIp: config.authFailuresPerIp, logger }),
    consoleSessions: createConsoleSessions({ store: deps.consoleSessionStore, hasher, access: adminAccess, clock }),
    rateLimiter: deps.rateLimiter,
    forwarder: deps.upstreamForwarder ?? createUpstreamForwarder({ timeoutMs: config.upstreamTimeoutMs }),
    usage,
    clientIp: deps.clientIp ?? (() => undefined),
  };

  // RegExpRouter alone (not SmartRouter's pick): a route it cannot take fails every test at once instead of
  // silently moving all requests to the TrieRouter (~8 µs per match against ~1 µs here).
  const app = new Hono<AppEnv>({ router: new RegExpRouter() });
  app.use(observeRequests({ logger, metrics }));
  mountObservability(app, { metrics, readiness: deps.readiness ?? {}, logger });
  mountApiDocs(app, config.publicUrl, deps.apiReferenceScript);

  // Every environment's routes spelled out under its own static prefix: hono's RegExpRouter (one regex
  // for the whole table) refuses a `:env{sandbox|production}` parameter beside static siblings such as
  // /healthz and would fall back to its TrieRouter, several µs slower per request.
  for (const environment of ENVIRONMENTS) {
    const at = `/${environment}`;
    // Public OAuth endpoints (SPEC §2).
    app.get(`${at}/.well-known/oauth-authorization-server`, discoveryEndpoint(services, environment));
    app.get(`/.well-known/oauth-authorization-server${at}`, discoveryEndpoint(services, environment));
    app.get(`${at}/.well-known/jwks.json`, jwksEndpoint(services, environment));
    for (const [endpoint, allowed, handler] of OAUTH_ENDPOINTS) {
      app.on(allowed, `${at}/oauth/${endpoint}`, handler(services, environment));
      // Any other method (reached only when the handler above did not answer).
      app.all(`${at}/oauth/${endpoint}`, () => {
        throw new OAuthError(405, 'invalid_request', `use ${allowed} for this endpoint`, { Allow: allowed });
      });
    }

    // Downstream calls (SPEC §3): the reverse proxy, for session tokens and Api-Key.
    const proxy = reverseProxy(services, environment);
    app.all(`${at}/api`, proxy);
    app.all(`${at}/api/*`, proxy);
  }

  // Admin API (SPEC §4).
  const admin = new Hono<AppEnv>();
  admin.use(
    bodyLimit({
      maxSize: MAX_ADMIN_BODY_BYTES,
      onError: () => {
        throw new ApiProblem(413, 'payload_too_large', `the request body is larger than ${MAX_ADMIN_BODY_BYTES} bytes`);
      },
    }),
  );
  admin.use(async function noStore(c, next) {
    await next();
    // Admin answers carry secrets (once) and account data: never cached anywhere.
    c.header('Cache-Control', 'no-store');
  });
  admin.use(adminAuthentication(services));
  admin.route('/', accountRoutes(services));
  admin.route('/', adminTokenRoutes(services));
  admin.route('/', keyRoutes(services));
  admin.route('/', operationRoutes(services));
  admin.route('/', signingKeyRoutes(services));
  app.route('/admin/v1', admin);

  // Web console over the same admin capabilities (HTML, cookie session, CSRF-checked forms).
  app.route('/console', consoleRoutes(services));

  app.notFound((c) => {
    if (isOAuthPath(c.req.path)) return new OAuthError(400, 'invalid_request', 'no such endpoint').toResponse();
    return new ApiProblem(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`).toResponse();
  });

  app.onError((error, c) => {
    if (isClientAbort(error, c.req.raw)) {
      // The caller hung up (mid-body, typically): nothing failed here, and nobody reads the answer.
      logger.info('client closed the request', {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        error: (error as Error).message,
      });
      return clientClosedResponse();
    }
    if (error instanceof OAuthError || error instanceof ApiProblem) return error.toResponse();
    const oauth = isOAuthPath(c.req.path) || c.req.path.includes('/.well-known/');
    // A store that cannot answer — the session store, or the database (SPEC §6) — is a 503, never a 500.
    if (error instanceof StoreUnavailableError) {
      metrics.storeError(error.store);
      logger.warn(`${error.role} unavailable`, { requestId: c.get('requestId'), path: c.req.path, error: error.message });
      const detail = `the ${error.role} is unavailable; retry shortly`;
      return oauth
        ? new OAuthError(503, 'temporarily_unavailable', detail, { 'Retry-After': '1' }).toResponse()
        : new ApiProblem(503, 'unavailable', detail, { headers: { 'Retry-After': '1' } }).toResponse();
    }
    if (error instanceof HTTPException && error.status < 500) {
      return oauth
        ? new OAuthError(400, 'invalid_request', error.message || 'bad request').toResponse()
        : new ApiProblem(error.status, 'invalid_request', error.message || 'bad request').toResponse();
    }
    logger.error('unhandled error', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      error: String((error as Error).stack ?? error),
    });
    return oauth
      ? new OAuthError(500, 'server_error', 'internal error').toResponse()
      : new ApiProblem(500, 'internal_error', 'internal error').toResponse();
  });

  // The services too: the Node runtime's proxy fast path (runtime/node-proxy-fast-path.ts) calls them directly.
  return Object.assign(app, { services });
}

export type KeymintApp = Awaited<ReturnType<typeof createApp>>;
