// Client authentication for the OAuth endpoints: reads client_secret_basic or client_secret_post, words core's refusals.
import type { Context } from 'hono';
import type { ClientAuthRefusal, ClientCredential } from '../../core/client-auth.js';
import { assertNever } from '../../shared/result.js';
import type { Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { invalidRequest, OAuthError, tooManyFailures } from '../errors/oauth-error.js';
import type { Services } from '../services.js';
import type { OAuthParams } from './form.js';

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
  throw new OAuthError(401, 'invalid_client', 'client authentication is required (HTTP Basic or client_secret_post)', {
    'WWW-Authenticate': `Basic realm="${environment}"`,
  });
}

// RFC 6749 §5.2: 401 `invalid_client`, with a Basic challenge when the client used HTTP Basic.
function refusal(refused: ClientAuthRefusal, credential: OAuthClientCredential, environment: Environment): OAuthError {
  const challenge: Record<string, string> =
    credential.method === 'client_secret_basic' ? { 'WWW-Authenticate': `Basic realm="${environment}"` } : {};
  const invalidClient = (description: string) => new OAuthError(401, 'invalid_client', description, challenge, refused.reason);
  switch (refused.reason) {
    case 'rate_limited':
      return tooManyFailures(refused.retryAfter);
    case 'malformed_secret':
      return invalidClient('the client secret is malformed or mistyped (its checksum does not match)');
    case 'other_environment': {
      const other = refused.detail ?? 'other';
      return invalidClient(`this is a ${other} credential; use the /${other}/oauth endpoints`);
    }
    case 'unknown_client':
    case 'wrong_secret':
      // The same words for both, so probing cannot tell which application IDs exist.
      return invalidClient('client authentication failed');
    case 'disabled':
      return invalidClient('this API access key is disabled');
    case 'expired':
      return invalidClient('this API access key has expired');
    default:
      return assertNever(refused);
  }
}

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
      return true;
    case 'rate_limited':
    case 'other_environment':
    case 'unknown_client':
      return false;
    default:
      return assertNever(refused);
  }
}

/** Authenticates the calling client or throws the RFC 6749 error (401 invalid_client, 429 when limited). */
export async function authenticateClient(
  c: Context,
  services: Services,
  environment: Environment,
  params: OAuthParams,
): Promise<KeyRecord> {
  const credential = readCredentials(c, params, environment);
  const result = await services.clients.authenticate(environment, credential, { ip: services.clientIp(c) });
  if (result.ok) return result.value;
  if (namesKey(result)) services.usageCounts.countInvalidCredentials(environment, credential.clientId);
  throw refusal(result, credential, environment);
}
