// Sessions: issuing (with the issuance cache), introspecting, revoking and describing session tokens.
import type { KeyRecord } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';
import type { IssuedToken, SessionStore } from '../ports/session-store.js';
import type { Environment } from '../shared/domain.js';
import { fail, ok, type Result } from '../shared/result.js';
import { grantScopes } from './scopes.js';
import type { SessionClaims, SessionTokens, TokenRejection } from './session-tokens.js';
import { usedPair } from './client-auth.js';
import type { UsageRecorder } from './usage.js';

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  scope: string;
  /** Whether the issuance cache answered, was asked in vain, or is turned off. */
  cache: 'hit' | 'miss' | 'off';
}

/** What introspection and tokeninfo show of an active session (RFC 7662 §2.2). */
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
  token_type: 'Bearer';
  env: Environment;
}

export type SessionRejection = TokenRejection | 'unknown_session' | 'revoked' | 'other_account';

/** A check of a presented session token that answers who it speaks for: `SessionTokens.verify` or `Sessions.describe`. */
export type SessionCheck = (
  environment: Environment,
  token: string,
) => Promise<Result<Pick<SessionClaims, 'client_id' | 'acct' | 'scope' | 'aud' | 'key'>, SessionRejection>>;

export interface Sessions {
  /** A session token for the key with the scope asked for (default: all of the key's) and `audience` (default: the environment's). */
  issue(
    environment: Environment,
    key: KeyRecord,
    requestedScope: string | undefined,
    audience?: string,
  ): Promise<Result<IssuedSession, 'invalid_scope'>>;
  /** The session behind a token, checked against its record (revocation), as introspection shows it. */
  describe(
    environment: Environment,
    token: string,
  ): Promise<Result<ActiveSession & { acct: string; keyId: string; key: string }, SessionRejection>>;
  /** RFC 7662 for a caller key: inactive for anything not live, or of another account. */
  introspect(environment: Environment, caller: KeyRecord, token: string): Promise<ActiveSession | { active: false }>;
  /** RFC 7009: revokes the token when the caller's key minted it; silent otherwise. */
  revoke(environment: Environment, caller: KeyRecord, token: string): Promise<void>;
}

function activeView(claims: SessionClaims): ActiveSession {
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
    env: claims.env,
  };
}

export function createSessions(deps: {
  tokens: SessionTokens;
  store: SessionStore;
  clock: Clock;
  usage: UsageRecorder;
  issuanceCache: boolean;
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
    return ok({ ...activeView(claims), acct: claims.acct, keyId: record.keyId, key: record.keyId });
  }

  return {
    async issue(environment, key, requestedScope, audience = tokens.audience(environment)) {
      const granted = grantScopes(requestedScope, key.scopes);
      if (!granted.ok) return granted;
      const scope = granted.value.join(' ');
      usage.recordUse(key.id, usedPair(key));
      const slot = { keyId: key.id, slot: `${key.applicationId} ${audience} ${scope}` };
      if (deps.issuanceCache) {
        const cached = await store.findIssued(environment, slot);
        if (reusable(cached)) {
          return ok({ accessToken: cached.token, expiresIn: cached.exp - nowSeconds(), scope: cached.scope, cache: 'hit' });
        }
      }
      const { token, claims } = await tokens.mint(environment, {
        keyId: key.id,
        applicationId: key.applicationId,
        accountId: key.accountId,
        scope,
        audience,
      });
      const record = {
        jti: claims.jti,
        applicationId: key.applicationId,
        keyId: key.id,
        accountId: key.accountId,
        scope,
        aud: claims.aud,
        iat: claims.iat,
        exp: claims.exp,
        revoked: false,
      };
      const issued = deps.issuanceCache
        ? { slot, token: { token, jti: claims.jti, scope, iat: claims.iat, exp: claims.exp }, reuseUntil: claims.iat + Math.floor((claims.exp - claims.iat) / 2) }
        : undefined;
      await store.saveSession(environment, record, issued);
      return ok({ accessToken: token, expiresIn: claims.exp - claims.iat, scope, cache: deps.issuanceCache ? 'miss' : 'off' });
    },

    describe,

    async introspect(environment, caller, token) {
      const described = await describe(environment, token);
      if (!described.ok || described.value.acct !== caller.accountId) return { active: false };
      const { acct: _acct, keyId: _keyId, key: _key, ...view } = described.value;
      return view;
    },

    async revoke(environment, caller, token) {
      const verified = await tokens.verify(environment, token);
      if (!verified.ok) return;
      const record = await store.getSession(environment, verified.value.jti);
      if (record && record.keyId === caller.id) await store.revokeSession(environment, record.jti);
    },
  };
}
