// sessionAuth(): Hono middleware for downstream services, verifying keymint session tokens against the issuer's JWKS.
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { isEnvironment, SIGNING_ALGORITHMS, type Environment } from '../../shared/domain.js';
import { isScopeToken } from '../../core/scopes.js';
import { readSessionClaims, type SessionClaims } from '../../core/session-claims.js';
import { verifyDpopPresentation } from '../../core/dpop.js';
import { createInProcessReplayGuard, type ReplayGuard } from '../../core/replay.js';
import { OAuthError } from '../errors/oauth-error.js';
import { readAccessToken, type AccessTokenScheme } from '../oauth/bearer.js';
import { readDpopProof, resourceDpopRefusal } from '../oauth/dpop.js';
import { insufficientScope, invalidToken } from './challenges.js';

export interface SessionAuthOptions {
  /** The environment's issuer, `${KEYMINT_PUBLIC_URL}/sandbox` or `…/production`. */
  issuer: string;
  /** The expected `aud`; default `${issuer}/api`, which keymint puts in its tokens. */
  audience?: string;
  /** Scopes every request must carry (all of them). */
  requiredScopes?: readonly string[];
  /** Where the public keys are; default `${issuer}/.well-known/jwks.json`. */
  jwksUrl?: string;
  /**
   * This service's URL as its clients call it (scheme, host, and any path prefix a proxy in front of it
   * strips), which a DPoP proof's `htu` must name with the request's path; default: each request's own origin.
   */
  publicUrl?: string;
  /**
   * Remembers DPoP proof `jti`s (true the first time one is seen before `expiresAt`, in seconds); default: this
   * process's memory, so a proof replayed to another process of the same service is not caught. Pass a guard
   * over a store the processes share (Redis `SET NX PXAT`) to catch those too.
   */
  dpopReplay?: ReplayGuard;
}

/** The verified claims of a session token (RFC 9068), as `c.get('keymintSession')` gives them. */
export interface KeymintSession extends SessionClaims {
  /** `scope`, split. */
  scopes: string[];
}

export type SessionAuthEnv = { Variables: { keymintSession: KeymintSession } };

interface Settings {
  issuer: string;
  environment: Environment;
  audience: string;
  requiredScopes: string[];
  jwksUrl: URL;
  /** Without a trailing slash; undefined: the request's origin. */
  publicUrl: string | undefined;
  dpopReplay: ReplayGuard;
}

function httpUrl(value: unknown, option: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(`sessionAuth: "${option}" must be an http(s) URL`);
  }
  return url;
}

function readSettings(options: SessionAuthOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new TypeError('sessionAuth: options are required');
  const issuer = httpUrl(options.issuer, 'issuer').href.replace(/\/+$/, '');
  const environment = issuer.slice(issuer.lastIndexOf('/') + 1);
  if (!isEnvironment(environment)) {
    throw new TypeError('sessionAuth: "issuer" must end in /sandbox or /production (a keymint environment)');
  }
  const audience = options.audience ?? `${issuer}/api`;
  if (typeof audience !== 'string' || audience === '') throw new TypeError('sessionAuth: "audience" must be a non-empty string');
  const requiredScopes = options.requiredScopes ?? [];
  if (!Array.isArray(requiredScopes) || !requiredScopes.every((scope) => typeof scope === 'string' && isScopeToken(scope))) {
    throw new TypeError('sessionAuth: "requiredScopes" must be an array of scope names');
  }
  const jwksUrl = httpUrl(options.jwksUrl ?? `${issuer}/.well-known/jwks.json`, 'jwksUrl');
  const publicUrl = options.publicUrl === undefined ? undefined : httpUrl(options.publicUrl, 'publicUrl');
  if (publicUrl && (publicUrl.search !== '' || publicUrl.hash !== '')) {
    throw new TypeError('sessionAuth: "publicUrl" must hold no query or fragment');
  }
  if (options.dpopReplay !== undefined && typeof options.dpopReplay !== 'function') {
    throw new TypeError('sessionAuth: "dpopReplay" must be a function (jti, expiresAt) => Promise<boolean>');
  }
  return {
    issuer,
    environment,
    audience,
    requiredScopes: [...requiredScopes],
    jwksUrl,
    publicUrl: publicUrl?.href.replace(/\/+$/, ''),
    dpopReplay: options.dpopReplay ?? createInProcessReplayGuard(),
  };
}

/** The key set could not be fetched or read: keymint is unreachable, not the token bad. */
class KeySetUnavailable extends Error {}

// A kid the key set lacks is a bad token; anything else failing while fetching the key set is an outage.
function isTokenProblem(error: unknown): boolean {
  return (
    error instanceof errors.JOSEError &&
    !(error instanceof errors.JWKSTimeout) &&
    !(error instanceof errors.JWKSInvalid) &&
    error.constructor !== errors.JOSEError
  );
}

// Tokens that passed a full verification, by their exact text (a different signature is a different string):
// a service sees the same token for up to its whole lifetime, and the signature check is most of what
// sessionAuth costs. Bounded; the oldest entry goes first.
const VERIFIED_ENTRIES = 10_000;

interface Verified {
  /** Signature, `iss`, `aud`, `env` and the claims' schema checked. */
  claims: Readonly<SessionClaims>;
  /** The key set it was checked against: a refetched set (rotation, unknown kid) checks every token anew. */
  keySetGeneration: number;
}

function reject(error: OAuthError): never {
  throw new HTTPException(error.status as ContentfulStatusCode, { res: error.toResponse() });
}

/**
 * Verifies `Authorization: Bearer <session token>` statelessly: signature from the issuer's JWKS (fetched
 * once, cached, refetched for an unknown `kid`), `typ: at+jwt`, `iss`, `aud`, `exp`, `env`, every claim
 * against keymint's claims schema, and the required scopes. A DPoP-bound token (`cnf.jkt`) passes only as
 * `Authorization: DPoP <token>` with a `DPoP` proof for this very request (RFC 9449 §7). Answers RFC 6750 /
 * RFC 9449 errors; on success `c.get('keymintSession')` holds the claims.
 */
export function sessionAuth(options: SessionAuthOptions): MiddlewareHandler<SessionAuthEnv> {
  const settings = readSettings(options);
  const { environment } = settings;
  // keymint signs with a rotated key at once; an unknown kid refetches the set after at most 5 s
  // (jose's default cooldown of 30 s would refuse fresh tokens for that long after a rotation).
  let keySetGeneration = 0;
  const keySet = createRemoteJWKSet(settings.jwksUrl, {
    cooldownDuration: 5_000,
    [customFetch]: (url: string, init: RequestInit) => {
      keySetGeneration++;
      return fetch(url, init);
    },
  });
  const verified = new Map<string, Verified>();

  /**
   * The claims of a token verified before against the key set still in use, while that set is fresh and the
   * token unexpired: all a full verification would look at again (jose: expired once `exp` ≤ now).
   */
  function remembered(token: string): Readonly<SessionClaims> | undefined {
    const entry = verified.get(token);
    if (!entry) return undefined;
    if (entry.keySetGeneration === keySetGeneration && keySet.fresh && entry.claims.exp > Math.floor(Date.now() / 1000)) {
      return entry.claims;
    }
    verified.delete(token);
    return undefined;
  }

  function remember(token: string, claims: Readonly<SessionClaims>, generation: number): void {
    if (verified.size >= VERIFIED_ENTRIES) verified.delete(verified.keys().next().value!);
    verified.set(token, { claims, keySetGeneration: generation });
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      throw new KeySetUnavailable('the key set cannot be fetched', { cause: error });
    }
  };

  return async function sessionAuth(c, next) {
    let scheme: AccessTokenScheme;
    let token: string;
    try {
      ({ scheme, token } = readAccessToken(c, environment));
    } catch (error) {
      if (error instanceof OAuthError) reject(error);
      throw error;
    }
    let claims = remembered(token);
    if (!claims) {
      // The generation from before: a set fetched meanwhile makes the next call verify once more.
      const generation = keySetGeneration;
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms: [...SIGNING_ALGORITHMS],
          typ: 'at+jwt',
          issuer: settings.issuer,
          audience: settings.audience,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        }));
      } catch (error) {
        if (error instanceof KeySetUnavailable) {
          reject(new OAuthError(503, 'temporarily_unavailable', 'the token issuer cannot be reached', { 'Retry-After': '5' }));
        }
        if (error instanceof errors.JWTExpired) reject(invalidToken(environment, 'the session token has expired', scheme));
        if (error instanceof errors.JOSEError) reject(invalidToken(environment, 'the session token is not valid here', scheme));
        throw error;
      }
      if (payload.env !== environment) reject(invalidToken(environment, 'the session token was not issued for this environment', scheme));
      // The same schema as keymint's own verification: a signature does not make the claims well-formed.
      const read = readSessionClaims(payload);
      if (!read) reject(invalidToken(environment, 'the session token is not valid here', scheme));
      claims = Object.freeze(read);
      remember(token, claims, generation);
    }
    // RFC 9449 §7, every request (a proof is for one request only): the same check as keymint's own proxy. Only a
    // DPoP presentation reads the URL (its proof's `htu`): a Bearer call does not parse it.
    const called = scheme === 'DPoP' ? new URL(c.req.url) : undefined;
    const presented = await verifyDpopPresentation({
      scheme,
      accessToken: token,
      cnf: claims.cnf,
      proof: readDpopProof(c),
      method: c.req.method,
      url: called ? `${settings.publicUrl ?? called.origin}${called.pathname}` : c.req.url,
      now: Date.now(),
      replay: settings.dpopReplay,
    });
    if (!presented.ok) reject(resourceDpopRefusal(environment, presented.reason, presented.detail));
    const scopes = claims.scope.split(' ').filter(Boolean);
    if (settings.requiredScopes.some((required) => !scopes.includes(required))) {
      reject(insufficientScope(environment, settings.requiredScopes, scheme));
    }
    c.set('keymintSession', { ...claims, scopes });
    await next();
  };
}
