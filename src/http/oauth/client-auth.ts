// Client authentication for the OAuth endpoints: client_secret_basic or client_secret_post, rate-limited on failure.
import type { Context } from 'hono';
import { describeClientAuthFailure } from '../../core/client-auth.js';
import type { Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { invalidRequest, OAuthError } from '../errors/oauth-error.js';
import type { Services } from '../services.js';
import type { OAuthParams } from './form.js';

const FAILURE_WINDOW_SECONDS = 60;
const MAX_CLIENT_ID_LENGTH = 128;

interface PresentedCredentials {
  clientId: string;
  secret: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

// RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function readCredentials(c: Context, params: OAuthParams, environment: Environment): PresentedCredentials {
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
    return { clientId, secret, method: 'client_secret_basic' };
  }
  if (postId !== undefined && postSecret !== undefined) {
    return { clientId: postId, secret: postSecret, method: 'client_secret_post' };
  }
  throw new OAuthError(401, 'invalid_client', 'client authentication is required (HTTP Basic or client_secret_post)', {
    'WWW-Authenticate': `Basic realm="${environment}"`,
  });
}

const OAUTH_WORDING = {
  credential: 'client secret',
  invalid: 'client authentication failed',
  otherEnvironment: (environment: string) => `this is a ${environment} credential; use the /${environment}/oauth endpoints`,
};

/** Authenticates the calling client or throws the RFC 6749 error (401 invalid_client, 429 when limited). */
export async function authenticateClient(
  c: Context,
  services: Services,
  environment: Environment,
  params: OAuthParams,
): Promise<KeyRecord> {
  const credentials = readCredentials(c, params, environment);
  const challenge: Record<string, string> =
    credentials.method === 'client_secret_basic' ? { 'WWW-Authenticate': `Basic realm="${environment}"` } : {};
  if (credentials.clientId.length === 0 || credentials.clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw new OAuthError(401, 'invalid_client', 'client authentication failed', challenge);
  }
  const { config, rateLimiter } = services;
  const ip = services.clientIp(c);
  const counters = [
    { key: `${environment}:authfail:client:${credentials.clientId}`, limit: config.authFailuresPerClient },
    ...(ip ? [{ key: `${environment}:authfail:ip:${ip}`, limit: config.authFailuresPerIp }] : []),
  ];
  const retryAfter = await rateLimiter.retryAfter(counters);
  if (retryAfter > 0) {
    throw new OAuthError(
      429,
      'slow_down',
      'too many failed client authentications; try again later',
      { 'Retry-After': String(retryAfter) },
      'rate_limited',
    );
  }
  const result = await services.clients.authenticate(environment, credentials.clientId, credentials.secret);
  if (result.ok) return result.value;
  await rateLimiter.recordFailure(
    counters.map(({ key }) => key),
    FAILURE_WINDOW_SECONDS,
  );
  throw new OAuthError(401, 'invalid_client', describeClientAuthFailure(result.reason, result.detail, OAUTH_WORDING), challenge, result.reason);
}
