// Who calls the proxy: a session token (stateless, or checked against its record in strict mode) or an Api-Key.
import type { Context } from 'hono';
import { usedPair, type ClientAuthRefusal } from '../../core/client-auth.js';
import { keyLimits, type MeteredKey } from '../../core/key-limits.js';
import type { KeyPair } from '../../ports/key-store.js';
import type { Environment } from '../../shared/domain.js';
import type { ProxyIdentity } from '../../core/proxy-headers.js';
import { assertNever } from '../../shared/result.js';
import type { SessionRejection } from '../../core/sessions.js';
import { invalidRequest, tooManyFailures, type OAuthError } from '../errors/oauth-error.js';
import type { AccessTokenScheme } from '../oauth/bearer.js';
import { checkTokenPresentation, readDpopProof } from '../oauth/dpop.js';
import type { Services } from '../services.js';
import { invalidToken } from './challenges.js';
import { describeClientAuthRefusal, type RefusalWords } from '../errors/client-auth-wording.js';

export interface ProxyCaller extends ProxyIdentity {
  /** The key behind an `Api-Key` call (its lastUsedAt is recorded); undefined for session tokens. */
  keyId: string | undefined;
  /** A fresh `DPoP-Nonce` for the answer, when the call's proof carried one that is getting old. */
  dpopNonce?: string;
  /** The session token's `aud`; undefined for `Api-Key` callers, who may call every service. */
  audience: string | undefined;
  /** The key the call is metered against (SPEC §7) and its limits; undefined when no key is found for it. */
  metered: MeteredKey | undefined;
  /** Which of its pairs the `Api-Key` was: the previous one only during a roll with overlap. */
  keyPair?: KeyPair;
  /** How a session token was presented, so refusals challenge in that scheme; undefined for `Api-Key` callers. */
  scheme?: AccessTokenScheme;
}

type Credential = { kind: 'session'; scheme: AccessTokenScheme; token: string } | { kind: 'api-key'; secret: string };

const AUTHORIZATION = /^([A-Za-z][A-Za-z0-9-]*) +(\S+) *$/;

function readCredential(c: Context, environment: Environment): Credential {
  const authorization = c.req.header('authorization');
  const apiKey = c.req.header('api-key');
  if (authorization !== undefined && apiKey !== undefined) {
    // RFC 6750 §3.1: more than one way of authenticating is an invalid request.
    throw invalidRequest('send either Authorization or Api-Key, not both');
  }
  if (apiKey !== undefined) return { kind: 'api-key', secret: apiKey.trim() };
  if (authorization === undefined) throw invalidToken(environment, 'a bearer session token is required');
  const match = AUTHORIZATION.exec(authorization);
  const scheme = match?.[1]!.toLowerCase();
  if (scheme === 'bearer') return { kind: 'session', scheme: 'Bearer', token: match![2]! };
  if (scheme === 'dpop') return { kind: 'session', scheme: 'DPoP', token: match![2]! };
  if (scheme === 'api-key') return { kind: 'api-key', secret: match![2]! };
  throw invalidToken(environment, 'the Authorization header must be Bearer <session token>, DPoP <session token> or Api-Key <secret>');
}

function describeSessionRejection(reason: SessionRejection): string {
  switch (reason) {
    case 'malformed':
      return 'the session token is malformed';
    case 'bad_signature':
      return 'the session token is not signed by this environment';
    case 'wrong_issuer':
    case 'wrong_environment':
      return 'the session token was not issued for this environment';
    case 'expired':
      return 'the session token has expired';
    case 'unknown_session':
    case 'other_account':
      return 'the session is unknown';
    case 'revoked':
      return 'the session has been revoked';
    default:
      return assertNever(reason);
  }
}

// The proxy's `Api-Key` refusals: RFC 6750 `invalid_token`, or 429 like the token endpoint's once the caller's
// address has failed too often (the same per-IP counter: guesses spread over both count together).
function apiKeyRefusal(refused: ClientAuthRefusal, environment: Environment): OAuthError {
  if (refused.reason === 'rate_limited') return tooManyFailures(refused.retryAfter);
  return invalidToken(environment, describeClientAuthRefusal(refused, API_KEY_WORDS));
}

const API_KEY_WORDS: RefusalWords = {
  credential: 'API key',
  invalid: 'the API key is not valid',
  otherEnvironment: (other) => `this is a ${other} API key; call /${other}/api`,
  // Never from an Api-Key (no key is found by the HMAC of a secret it does not have); worded as unknown.
  invalidAssertion: () => 'the API key is not valid',
};

/**
 * The proxy's caller, or throws 401 (RFC 6750 `invalid_token`), 400 (two credentials at once) or 429 (Api-Key guessing).
 * `pathname` is the request's path as it arrived (the caller has parsed the URL already).
 */
export async function authenticateCaller(c: Context, services: Services, environment: Environment, pathname: string): Promise<ProxyCaller> {
  const credential = readCredential(c, environment);
  if (credential.kind === 'api-key') {
    if (!services.config.directKeyAuth) {
      throw invalidToken(environment, `Api-Key is not accepted here; exchange the key at /${environment}/oauth/token`);
    }
    const key = await services.clients.authenticate(
      environment,
      { method: 'api_key', secret: credential.secret },
      { ip: services.clientIp(c) },
    );
    if (!key.ok) throw apiKeyRefusal(key, environment);
    return {
      clientId: key.value.applicationId,
      accountId: key.value.accountId,
      scopes: key.value.scopes,
      environment,
      keyId: key.value.id,
      audience: undefined,
      metered: { keyId: key.value.id, limits: keyLimits(key.value) },
      keyPair: usedPair(key.value),
    };
  }
  // Stateless by default: the key table is never read, so sessions outlive a regenerated or deleted key.
  const session = await services.checkSession(environment, credential.token);
  if (!session.ok) throw invalidToken(environment, describeSessionRejection(session.reason), credential.scheme);
  // RFC 9449 §7: `htu` is the URL the client called — keymint's public URL and the path as it arrived, before
  // any load balancer's rewriting of the host or a service's prefix stripping.
  const dpopNonce = await checkTokenPresentation(services.dpop, environment, {
    scheme: credential.scheme,
    accessToken: credential.token,
    cnf: session.value.cnf,
    proof: readDpopProof(c),
    method: c.req.method,
    url: `${services.config.publicUrl}${pathname}`,
  });
  const caller: ProxyCaller = {
    clientId: session.value.client_id,
    accountId: session.value.acct,
    scopes: session.value.scope.split(' ').filter(Boolean),
    environment,
    keyId: undefined,
    audience: session.value.aud,
    metered: await services.keyLimits.forSession(session.value),
    scheme: credential.scheme,
  };
  if (dpopNonce !== undefined) caller.dpopNonce = dpopNonce;
  return caller;
}
