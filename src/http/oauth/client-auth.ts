// Client authentication for the OAuth endpoints: reads client_secret_basic, client_secret_post or private_key_jwt, words core's refusals.
import type { Context } from 'hono';
import { CLIENT_ASSERTION_TYPE } from '../../core/client-assertion.js';
import type { ClientAuthContext, ClientAuthRefusal, ClientCredential } from '../../core/client-auth.js';
import { assertNever } from '../../shared/result.js';
import type { Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { invalidRequest, OAuthError, tooManyFailures } from '../errors/oauth-error.js';
import type { Services } from '../services.js';
import type { OAuthParams } from './form.js';
import { describeClientAuthRefusal, type RefusalWords } from '../errors/client-auth-wording.js';

/** The credentials the OAuth endpoints read (RFC 6749 §2.3.1); the proxy's `Api-Key` is read in http/proxy. */
export type OAuthClientCredential = Exclude<ClientCredential, { method: 'api_key' }>;

// RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function readCredentials(c: Context, params: OAuthParams, environment: Environment): OAuthClientCredential {
  const authorization = c.req.header('authorization');
  const postId = params.get('client_id');
  const postSecret = params.get('client_secret');
  const assertionType = params.get('client_assertion_type');
  const assertion = params.get('client_assertion');
  if (assertionType !== undefined || assertion !== undefined) {
    // RFC 6749 §2.3: one method per request.
    if (postSecret !== undefined || (authorization !== undefined && /^basic /i.test(authorization))) {
      throw invalidRequest('use one client authentication method: a client_assertion, HTTP Basic or client_secret, not two');
    }
    if (assertionType !== CLIENT_ASSERTION_TYPE) throw invalidRequest(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    if (!assertion) throw invalidRequest('client_assertion is required with client_assertion_type');
    return { method: 'private_key_jwt', clientId: postId, assertion };
  }
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    if (postSecret !== undefined) {
      throw invalidRequest('use one client authentication method: HTTP Basic or client_secret in the body, not both');
    }
    let decoded: string;
    try {
      decoded = atob(authorization.slice(6).trim());
    } catch {
      throw invalidRequest('the Basic authorization header is not valid base64');
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidRequest('the Basic authorization header must hold client_id:client_secret');
    let clientId: string;
    let secret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw invalidRequest('the Basic credentials are not valid form-urlencoded text');
    }
    if (postId !== undefined && postId !== clientId) {
      throw invalidRequest('client_id in the body does not match the Basic credentials');
    }
    return { method: 'client_secret_basic', clientId, secret };
  }
  if (postId !== undefined && postSecret !== undefined) {
    return { method: 'client_secret_post', clientId: postId, secret: postSecret };
  }
  throw new OAuthError(401, 'invalid_client', 'client authentication is required (HTTP Basic, client_secret_post or private_key_jwt)', {
    'WWW-Authenticate': `Basic realm="${environment}"`,
  });
}

// RFC 6749 §5.2: 401 `invalid_client`, with a Basic challenge when the client used HTTP Basic.
function refusal(refused: ClientAuthRefusal, credential: OAuthClientCredential, environment: Environment): OAuthError {
  const challenge: Record<string, string> =
    credential.method === 'client_secret_basic' ? { 'WWW-Authenticate': `Basic realm="${environment}"` } : {};
  if (refused.reason === 'rate_limited') return tooManyFailures(refused.retryAfter);
  return new OAuthError(401, 'invalid_client', describeClientAuthRefusal(refused, OAUTH_WORDS), challenge, refused.reason);
}

const OAUTH_WORDS: RefusalWords = {
  credential: 'client secret',
  invalid: 'client authentication failed',
  otherEnvironment: (other) => `this is a ${other} credential; use the /${other}/oauth endpoints`,
  invalidAssertion: (detail) => detail ?? 'the client_assertion does not verify',
};

/**
 * Whether the refusal is one of a key the client named and failed to prove, so that it counts in that key's
 * usage (`invalid_credentials`, SPEC §7): a wrong or mistyped secret, a disabled or expired key. Unknown IDs name no
 * key; the failure limit's refusal and another environment's key are not this key's attempts.
 */
function namesKey(refused: ClientAuthRefusal): boolean {
  switch (refused.reason) {
    case 'wrong_secret':
    case 'malformed_secret':
    case 'disabled':
    case 'expired':
    // An existing key named with the other method (a secret for a private_key_jwt key, or the reverse), or an
    // assertion of the key that does not verify: that key's failed attempts too.
    case 'wrong_method':
    case 'invalid_assertion':
      return true;
    case 'rate_limited':
    case 'other_environment':
    case 'unknown_client':
      return false;
    default:
      return assertNever(refused);
  }
}

/**
 * Authenticates the calling client or throws the RFC 6749 error (401 invalid_client, 429 when limited); `keptRows` as
 * ClientAuthContext says.
 */
export async function authenticateClient(
  c: Context,
  services: Services,
  environment: Environment,
  params: OAuthParams,
  keptRows?: ClientAuthContext['keptRows'],
): Promise<KeyRecord> {
  const credential = readCredentials(c, params, environment);
  const context: ClientAuthContext = { ip: services.clientIp(c), ...(keptRows && { keptRows }) };
  if (credential.method === 'private_key_jwt') {
    // RFC 7523 §3: an assertion's aud names the issuer or the endpoint; clients using one audience for every
    // endpoint name the token endpoint. Only an assertion has an audience: a secret's call parses no URL.
    const issuer = services.tokens.issuer(environment);
    const endpoint = `${issuer}${new URL(c.req.url).pathname.slice(`/${environment}`.length)}`;
    context.audiences = [issuer, endpoint, `${issuer}/oauth/token`];
  }
  const result = await services.clients.authenticate(environment, credential, context);
  if (result.ok) return result.value;
  // An assertion sent without client_id names its key only inside the unverified JWT: not counted.
  if (namesKey(result) && credential.clientId !== undefined) services.usageCounts.countInvalidCredentials(environment, credential.clientId);
  throw refusal(result, credential, environment);
}
