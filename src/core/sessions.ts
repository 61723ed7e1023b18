// Sessions: issuing (with the issuance cache), exchanging (RFC 8693), introspecting, revoking and describing session tokens.
import type { KeyRecord } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';
import type { IssuedToken, SessionRecord, SessionStore } from '../ports/session-store.js';
import type { Environment } from '../shared/domain.js';
import { fail, ok, type Result } from '../shared/result.js';
import { grantScopes } from './scopes.js';
import type { SessionClaims, SessionTokens, TokenRejection } from './session-tokens.js';
import { decideTokenExchange, type EnvironmentAudiences, type ExchangeRequest, type TokenExchangeFailure } from './token-exchange.js';
import { usedPair } from './client-auth.js';
import type { UsageRecorder } from './usage.js';
import type { KeyMark } from '../ports/key-versions.js';

export interface IssuedSession {
  accessToken: string;
  /** `DPoP` when the token is bound to the proof's key (RFC 9449 §5), else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP';
  expiresIn: number;
  scope: string;
  /** Whether the issuance cache answered, was asked in vain, or is turned off (exchanges never use it). */
  cache: 'hit' | 'miss' | 'off';
}

/** What introspection and tokeninfo show of an active session (RFC 7662 §2.2; `cnf` per RFC 9449 §6.2). */
export interface ActiveSession {
  active: true;
  scope: string;
  client_id: string;
  sub: string;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  jti: string;
  token_type: 'Bearer' | 'DPoP';
  env: Environment;
  cnf?: { jkt: string };
}

/** A live session as `describe` answers it: what introspection shows, and the account and key it speaks for. */
export type DescribedSession = ActiveSession & { acct: string; keyId: string; key: string };

export type SessionRejection = TokenRejection | 'unknown_session' | 'revoked' | 'other_account';

/** A check of a presented session token that answers who it speaks for: `SessionTokens.verify` or `Sessions.describe`. */
export type SessionCheck = (
  environment: Environment,
  token: string,
) => Promise<Result<Pick<SessionClaims, 'client_id' | 'acct' | 'scope' | 'aud' | 'key' | 'cnf'>, SessionRejection>>;

/** How a token request was proven beyond client authentication, and what it asked for beyond scope. */
export interface IssueOptions {
  /** The jkt of the request's verified DPoP proof. */
  jkt?: string | undefined;
  /** The `aud` (RFC 8707 resource); default: the environment's. */
  audience?: string | undefined;
  /**
   * The mark of the kept row `key` came from, not yet checked (ClientAuthContext.keptRows): a reusable token is found,
   * and the session saved, only while it is still the key's mark (else StaleKeyError, nothing saved).
   */
  whileMark?: KeyMark | undefined;
}

export interface Sessions {
  /**
   * A session token for the key with the scope asked for (default: all of the key's), `options.audience`
   * (default: the environment's), bound to `options.jkt` when given.
   */
  issue(
    environment: Environment,
    key: KeyRecord,
    requestedScope: string | undefined,
    options?: IssueOptions,
  ): Promise<Result<IssuedSession, 'invalid_scope'>>;
  /** RFC 8693 down-scoping: a live session token of `key` traded for a narrower one, bound as its subject was. */
  exchange(
    environment: Environment,
    key: KeyRecord,
    request: ExchangeRequest & { subjectToken: string; requireDpop: boolean },
    options?: IssueOptions,
  ): Promise<Result<IssuedSession, TokenExchangeFailure>>;
  /** The session behind a token, checked against its record (revocation), as introspection shows it. */
  describe(
    environment: Environment,
    token: string,
  ): Promise<Result<DescribedSession, SessionRejection>>;
  /** RFC 7662 for a caller key: inactive for anything not live, or of another account. */
  introspect(environment: Environment, caller: KeyRecord, token: string): Promise<ActiveSession | { active: false }>;
  /** RFC 7009: revokes the token (and what was derived from it) when the caller's key minted it; silent otherwise. */
  revoke(environment: Environment, caller: KeyRecord, token: string): Promise<void>;
}

/**
 * What introspection shows of a session, built field by field: spreading or rest-destructuring another object here
 * made V8 (Node 20) keep each request's objects past the young generation until the next full GC, measured with
 * `--trace-gc` (bench/README.md, round 6).
 */
function activeView(from: SessionClaims | DescribedSession): ActiveSession {
  const view: ActiveSession = {
    active: true,
    scope: from.scope,
    client_id: from.client_id,
    sub: from.sub,
    aud: from.aud,
    iss: from.iss,
    exp: from.exp,
    iat: from.iat,
    jti: from.jti,
    token_type: from.cnf ? 'DPoP' : 'Bearer',
    env: from.env,
  };
  if (from.cnf) view.cnf = { jkt: from.cnf.jkt };
  return view;
}

/** The session as `describe` answers it: the active view with the account and key it speaks for (set just below). */
function describedView(claims: SessionClaims, keyId: string): DescribedSession {
  const described = activeView(claims) as DescribedSession;
  described.acct = claims.acct;
  described.keyId = keyId;
  described.key = keyId;
  return described;
}

export function createSessions(deps: {
  tokens: SessionTokens;
  store: SessionStore;
  clock: Clock;
  usage: UsageRecorder;
  issuanceCache: boolean;
  /** The environment's audiences a derived token may narrow to (default: only the default audience). */
  audiences?: (environment: Environment) => EnvironmentAudiences;
}): Sessions {
  const { tokens, store, clock, usage } = deps;
  const nowSeconds = () => Math.floor(clock.now() / 1000);

  function reusable(issued: IssuedToken | null): issued is IssuedToken {
    if (!issued) return false;
    // At least half of the token's lifetime must be left.
    return (issued.exp - nowSeconds()) * 2 >= issued.exp - issued.iat;
  }

  async function describe(environment: Environment, token: string) {
    const verified = await tokens.verify(environment, token);
    if (!verified.ok) return verified;
    const claims = verified.value;
    const record = await store.getSession(environment, claims.jti);
    if (!record) return fail('unknown_session');
    if (record.revoked) return fail('revoked');
    // `key` as the claim names it, for the proxy's limits; the record knows it for tokens minted without one.
    return ok(describedView(claims, record.keyId));
  }

  /** Mints a token for `key` and saves its session record (and, when given, its issuance-cache slot). */
  async function mintSession(
    environment: Environment,
    key: KeyRecord,
    grant: { scope: string; audience: string; jkt?: string | undefined; notAfter?: number; ancestors?: string[] },
    slot?: { keyId: string; slot: string },
    whileMark?: KeyMark,
  ) {
    const cnf = grant.jkt === undefined ? undefined : { jkt: grant.jkt };
    const { token, claims } = await tokens.mint(environment, {
      keyId: key.id,
      applicationId: key.applicationId,
      accountId: key.accountId,
      scope: grant.scope,
      audience: grant.audience,
      ...(cnf && { cnf }),
      ...(grant.notAfter !== undefined && { notAfter: grant.notAfter }),
    });
    const record: SessionRecord = {
      jti: claims.jti,
      applicationId: key.applicationId,
      keyId: key.id,
      accountId: key.accountId,
      scope: grant.scope,
      aud: claims.aud,
      iat: claims.iat,
      exp: claims.exp,
      revoked: false,
    };
    if (cnf) record.cnf = cnf;
    if (grant.ancestors) {
      record.parentJti = grant.ancestors[0]!;
      record.ancestors = grant.ancestors;
    }
    const issued = slot && {
      slot,
      token: { token, jti: claims.jti, scope: grant.scope, iat: claims.iat, exp: claims.exp },
      reuseUntil: claims.iat + Math.floor((claims.exp - claims.iat) / 2),
    };
    await store.saveSession(environment, record, issued, whileMark);
    const session: Omit<IssuedSession, 'cache'> = {
      accessToken: token,
      tokenType: cnf ? 'DPoP' : 'Bearer',
      expiresIn: claims.exp - claims.iat,
      scope: grant.scope,
    };
    return session;
  }

  return {
    async issue(environment, key, requestedScope, options = {}) {
      const granted = grantScopes(requestedScope, key.scopes);
      if (!granted.ok) return granted;
      const scope = granted.value.join(' ');
      const audience = options.audience ?? tokens.audience(environment);
      // The thumbprint is part of the slot: a bearer token is never handed to a DPoP request, nor the reverse,
      // nor a token bound to one key to a request proven with another.
      const slot = { keyId: key.id, slot: `${key.applicationId} ${audience} ${scope} ${options.jkt ?? '-'}` };
      const tokenType = options.jkt === undefined ? 'Bearer' : 'DPoP';
      if (deps.issuanceCache) {
        const cached = await store.findIssued(environment, slot, options.whileMark);
        if (reusable(cached)) {
          usage.recordUse(key.id, usedPair(key));
          return ok({ accessToken: cached.token, tokenType, expiresIn: cached.exp - nowSeconds(), scope: cached.scope, cache: 'hit' });
        }
      }
      const session = await mintSession(environment, key, { scope, audience, jkt: options.jkt }, deps.issuanceCache ? slot : undefined, options.whileMark);
      // Only once a token is answered: a row found stale (StaleKeyError) was not used.
      usage.recordUse(key.id, usedPair(key));
      return ok({ ...session, cache: deps.issuanceCache ? 'miss' : 'off' });
    },

    async exchange(environment, key, request, options = {}) {
      const verified = await tokens.verify(environment, request.subjectToken);
      if (!verified.ok) return fail('subject_invalid');
      const subject = verified.value;
      const record = await store.getSession(environment, subject.jti);
      if (!record || record.revoked) return fail('subject_invalid');
      // A derived session joins its subject's key index, where revoking the key finds it; its jti is made with
      // that key's id, so it lives in the subject's Redis partition (its derived set shares the hash slot).
      if (record.keyId !== key.id) return fail('subject_other_client');
      const decided = decideTokenExchange({
        subject: { ...subject, ancestors: record.ancestors },
        request,
        caller: { clientId: key.applicationId, environment, requireDpop: request.requireDpop, proofJkt: options.jkt },
        now: clock.now(),
        lifetimeSeconds: tokens.lifetime(environment),
        audiences: deps.audiences?.(environment) ?? { default: tokens.audience(environment) },
      });
      if (!decided.ok) return decided;
      const decision = decided.value;
      const session = await mintSession(environment, key, {
        scope: decision.scope,
        // keymint's tokens carry one audience, so the decision's is one too: the subject's, or the one it narrowed to.
        audience: typeof decision.aud === 'string' ? decision.aud : decision.aud[0]!,
        jkt: decision.cnf?.jkt,
        notAfter: decision.exp,
        ancestors: decision.ancestors,
      }, undefined, options.whileMark);
      usage.recordUse(key.id, usedPair(key));
      return ok({ ...session, cache: 'off' });
    },

    describe,

    async introspect(environment, caller, token) {
      const described = await describe(environment, token);
      if (!described.ok || described.value.acct !== caller.accountId) return { active: false };
      return activeView(described.value);
    },

    async revoke(environment, caller, token) {
      const verified = await tokens.verify(environment, token);
      if (!verified.ok) return;
      const record = await store.getSession(environment, verified.value.jti);
      if (record && record.keyId === caller.id) await store.revokeSession(environment, record.jti);
    },
  };
}
