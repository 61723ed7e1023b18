// Session tokens: RFC 9068 JWTs signed with the environment's active key, verified without any key-table read.
import { errors, jwtVerify, decodeProtectedHeader } from 'jose';
import type { Clock } from '../ports/runtime.js';
import { newSessionId } from '../ports/session-ids.js';
import type { Environment } from '../shared/domain.js';
import type { SigningKeyring } from './keyring.js';
import { fail, ok, type Result } from '../shared/result.js';
import { defaultAudience } from './audiences.js';
import { readSessionClaims, type SessionClaims } from './session-claims.js';

export type { SessionClaims } from './session-claims.js';

export type TokenRejection = 'malformed' | 'bad_signature' | 'expired' | 'wrong_issuer' | 'wrong_environment';

export interface SessionTokens {
  issuer(environment: Environment): string;
  audience(environment: Environment): string;
  lifetime(environment: Environment): number;
  mint(environment: Environment, subject: TokenSubject): Promise<{ token: string; claims: SessionClaims }>;
  /**
   * Stateless: signature, `typ`, `exp`, `iss`, `env`, an `aud` the environment knows (the default audience or a
   * service's, RFC 8707), and every claim of its kind (session-claims.ts).
   */
  verify(environment: Environment, token: string): Promise<Result<SessionClaims, TokenRejection>>;
}

export interface TokenSubject {
  applicationId: string;
  accountId: string;
  /** The key's stable id, carried as the `key` claim. */
  keyId: string;
  scope: string;
  /** The `aud` (RFC 8707 resource); default: the environment's default audience. */
  audience?: string;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{2,1024}$/;

// Tokens whose signature and claims already checked out, by their exact text (a different signature is a
// different string): clients present the same token for up to its whole lifetime, and an ES256 verification
// is the largest cost of a proxied call or an introspection. Bounded; the oldest entry goes first.
const VERIFIED_CACHE_ENTRIES = 10_000;

interface VerifiedToken {
  kid: string;
  claims: Readonly<SessionClaims>;
}

export function createSessionTokens(deps: {
  keyring: SigningKeyring;
  clock: Clock;
  publicUrl: string;
  lifetime: Record<Environment, number>;
  /** Whether `aud` is one the environment knows (the proxy's services may change on reload); default: the default audience alone. */
  knownAudience?: (environment: Environment, aud: string) => boolean;
}): SessionTokens {
  const { keyring, clock, publicUrl } = deps;
  const issuer = (environment: Environment) => `${publicUrl}/${environment}`;
  // Tokens are for the environment's downstream APIs, which keymint's proxy fronts.
  const audience = (environment: Environment) => defaultAudience(publicUrl, environment);
  const knownAudience = deps.knownAudience ?? ((environment: Environment, aud: string) => aud === audience(environment));

  const verified: Record<Environment, Map<string, VerifiedToken>> = { sandbox: new Map(), production: new Map() };

  /** What a full verification would answer for a token that passed one before: only time has moved. */
  async function recheck(environment: Environment, token: string, entry: VerifiedToken) {
    // As jose checks `exp`: expired once the current whole second reaches it.
    if (entry.claims.exp <= Math.floor(clock.now() / 1000)) {
      verified[environment].delete(token);
      return fail('expired');
    }
    // The service that took this audience may have gone with a reload.
    if (!knownAudience(environment, entry.claims.aud)) {
      verified[environment].delete(token);
      return fail('wrong_issuer', 'aud');
    }
    // The signing key may have left the JWKS since (retired past its publication window).
    if (!(await keyring.verificationKey(environment, entry.kid))) {
      verified[environment].delete(token);
      return fail('bad_signature');
    }
    return ok(entry.claims as SessionClaims);
  }

  function remember(environment: Environment, token: string, entry: VerifiedToken): void {
    const cache = verified[environment];
    if (cache.size >= VERIFIED_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(token, entry);
  }

  return {
    issuer,
    audience,
    lifetime: (environment) => deps.lifetime[environment],
    async mint(environment, subject) {
      const signingKey = await keyring.activeKey(environment);
      const iat = Math.floor(clock.now() / 1000);
      const claims: SessionClaims = {
        iss: issuer(environment),
        sub: subject.applicationId,
        client_id: subject.applicationId,
        aud: subject.audience ?? audience(environment),
        iat,
        exp: iat + deps.lifetime[environment],
        jti: newSessionId(subject.keyId),
        scope: subject.scope,
        env: environment,
        acct: subject.accountId,
        key: subject.keyId,
      };
      const token = await signingKey.sign({ alg: signingKey.alg, typ: 'at+jwt', kid: signingKey.kid }, { ...claims });
      return { token, claims };
    },
    async verify(environment, token) {
      const known = verified[environment].get(token);
      if (known) return recheck(environment, token, known);
      if (!JWT_SHAPE.test(token)) return fail('malformed');
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(token).kid;
      } catch {
        return fail('malformed');
      }
      if (typeof kid !== 'string') return fail('malformed');
      const key = await keyring.verificationKey(environment, kid);
      // A kid this environment never published: the other environment's token, or a forgery.
      if (!key) return fail('bad_signature');
      try {
        const { payload } = await jwtVerify(token, key.key, {
          algorithms: [key.alg],
          typ: 'at+jwt',
          issuer: issuer(environment),
          currentDate: new Date(clock.now()),
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        });
        if (payload.env !== environment) return fail('wrong_environment');
        const read = readSessionClaims(payload);
        // Signed by this environment's key, yet not claims keymint writes: refused like any bad token.
        if (!read) return fail('malformed');
        // jose's `audience` option takes a fixed list; the known audiences change with the services.
        if (!knownAudience(environment, read.aud)) return fail('wrong_issuer', 'aud');
        const claims = Object.freeze(read);
        remember(environment, token, { kid, claims });
        return ok(claims);
      } catch (error) {
        if (error instanceof errors.JWTExpired) return fail('expired');
        if (error instanceof errors.JWSSignatureVerificationFailed) return fail('bad_signature');
        if (error instanceof errors.JWTClaimValidationFailed) return fail('wrong_issuer', error.claim);
        if (error instanceof errors.JOSEError) return fail('malformed');
        throw error;
      }
    },
  };
}
