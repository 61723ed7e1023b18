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
import type { Services } from '../services.js';
import { invalidToken } from './challenges.js';

export interface ProxyCaller extends ProxyIdentity {
  /** The key behind an `Api-Key` call (its lastUsedAt is recorded); undefined for session tokens. */
  keyId: string | undefined;
  /** The session token's `aud`; undefined for `Api-Key` callers, who may call every service. */
  audience: string | undefined;
  /** The key the call is metered against (SPEC §7) and its limits; undefined when no key is found for it. */
  metered: MeteredKey | undefined;
  /** Which of its pairs the `Api-Key` was: the previous one only during a roll with overlap. */
  keyPair?: KeyPair;
}

type Credential = { kind: 'session'; token: string } | { kind: 'api-key'; secret: string };

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
  if (scheme === 'bearer') return { kind: 'session', token: match![2]! };
  if (scheme === 'api-key') return { kind: 'api-key', secret: match![2]! };
  throw invalidToken(environment, 'the Authorization header must be Bearer <session token> or Api-Key <secret>');
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
  switch (refused.reason) {
    case 'rate_limited':
      return tooManyFailures(refused.retryAfter);
    case 'malformed_secret':
      return invalidToken(environment, 'the API key is malformed or mistyped (its checksum does not match)');
    case 'other_environment': {
      const other = refused.detail ?? 'other';
      return invalidToken(environment, `this is a ${other} API key; call /${other}/api`);
    }
    case 'unknown_client':
    case 'wrong_secret':
      return invalidToken(environment, 'the API key is not valid');
    case 'disabled':
      return invalidToken(environment, 'this API access key is disabled');
    case 'expired':
      return invalidToken(environment, 'this API access key has expired');
    default:
      return assertNever(refused);
  }
}

/** The proxy's caller, or throws 401 (RFC 6750 `invalid_token`), 400 (two credentials at once) or 429 (Api-Key guessing). */
export async function authenticateCaller(c: Context, services: Services, environment: Environment): Promise<ProxyCaller> {
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
  if (!session.ok) throw invalidToken(environment, describeSessionRejection(session.reason));
  return {
    clientId: session.value.client_id,
    accountId: session.value.acct,
    scopes: session.value.scope.split(' ').filter(Boolean),
    environment,
    keyId: undefined,
    audience: session.value.aud,
    metered: await services.keyLimits.forSession(session.value),
  };
}
