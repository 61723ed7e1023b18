// The services every router is built from: core objects wired to their ports by createServices (src/services.ts).
import type { Context } from 'hono';
import type { Config } from '../config.js';
import type { AdminAccess, Actor } from '../core/admin-access.js';
import type { AdminTokenGuard } from '../core/admin-token-guard.js';
import type { ClientAuthenticator } from '../core/client-auth.js';
import type { ConsoleSessions } from '../core/console-sessions.js';
import type { DpopProofs } from '../core/dpop-proofs.js';
import type { FailureLimit } from '../core/failure-limit.js';
import type { Environment } from '../shared/domain.js';
import type { KeyManagement } from '../core/key-management.js';
import type { KeyLimitsCache } from '../core/key-limits.js';
import type { KeyUsageReader } from '../core/key-usage.js';
import type { GatewayRouting } from '../core/gateway.js';
import type { UsageCounting } from '../core/usage-counting.js';
import type { KeyLimiter } from '../ports/key-limiter.js';
import type { SigningKeyring } from '../core/keyring.js';
import type { SessionTokens } from '../core/session-tokens.js';
import type { SessionCheck, Sessions } from '../core/sessions.js';
import type { UsageRecorder } from '../core/usage.js';
import type { WebhookManagement } from '../core/webhook-management.js';
import type { Clock, Logger, Metrics } from '../ports/runtime.js';
import type { UpstreamForwarder } from '../ports/upstream-forwarder.js';

export interface Services {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  keyring: SigningKeyring;
  tokens: SessionTokens;
  sessions: Sessions;
  /** How the proxy checks a session token: stateless, or against its record (KEYMINT_STRICT_SESSIONS), chosen at wiring. */
  checkSession: SessionCheck;
  /** DPoP proofs at the token endpoint and bound tokens at resources (the proxy, tokeninfo). */
  dpop: DpopProofs;
  clients: ClientAuthenticator;
  management: KeyManagement;
  /** An account's webhooks and their delivery logs (SPEC §9). */
  webhooks: WebhookManagement;
  adminAccess: AdminAccess;
  /** adminAccess behind the per-IP failure limit: what /admin/v1 and the console sign-in authenticate with. */
  adminGuard: AdminTokenGuard;
  consoleSessions: ConsoleSessions;
  /** Failure counters over the rate limiter, for any surface that guards a secret (client authentication uses it). */
  failureLimit: FailureLimit;
  /** The reverse proxy's upstream client. */
  forwarder: UpstreamForwarder;
  /** lastUsedAt bookkeeping (the token endpoint and the proxy's Api-Key calls). */
  usage: UsageRecorder;
  /** The proxy's services and audiences per environment (SPEC §7); `current` is swapped whole on reload. */
  gateway: GatewayRouting;
  /** Per-key rate limits and quotas on proxied calls and on minting. */
  keyLimiter: KeyLimiter;
  /** The key (and its limits) behind a session token, cached by key id. */
  keyLimits: KeyLimitsCache;
  /** Per-key usage counts, written after the response. */
  usageCounts: UsageCounting;
  /** A key's usage series, for the admin API and the console. */
  keyUsage: KeyUsageReader;
  /** The caller's address as the runtime sees it; undefined when it cannot tell. */
  clientIp(c: Context): string | undefined;
}

export type AppEnv = { Variables: { actor: Actor; requestId: string } };

export function environmentParam(c: Context): Environment {
  // Routes only match `sandbox|production`, so the cast is safe.
  return c.req.param('env') as Environment;
}
