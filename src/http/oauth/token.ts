// POST /{env}/oauth/token — RFC 6749 §4.4 client credentials, answering RFC 9068 session tokens.
import type { Handler } from 'hono';
import { invalidRequest, NO_STORE_HEADERS, OAuthError } from '../errors/oauth-error.js';
import { SessionStoreUnavailableError } from '../../ports/session-store.js';
import { environmentParam, type Services } from '../services.js';
import { authenticateClient } from './client-auth.js';
import { readOAuthParams } from './form.js';

function refusalReason(error: unknown): string {
  if (error instanceof OAuthError) return error.reason;
  if (error instanceof SessionStoreUnavailableError) return 'temporarily_unavailable';
  return 'server_error';
}

export function tokenEndpoint(services: Services): Handler {
  return async function token(c) {
    const environment = environmentParam(c);
    try {
      const params = await readOAuthParams(c);
      const key = await authenticateClient(c, services, environment, params);
      const grantType = params.get('grant_type');
      if (grantType === undefined) throw invalidRequest('grant_type is required');
      if (grantType !== 'client_credentials') {
        throw new OAuthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
      }
      const issued = await services.sessions.issue(environment, key, params.get('scope'));
      if (!issued.ok) throw new OAuthError(400, 'invalid_scope', issued.detail ?? 'the requested scope is not allowed');
      services.metrics.tokenMinted(environment, issued.value.cache);
      return c.json(
        {
          access_token: issued.value.accessToken,
          token_type: 'Bearer',
          expires_in: issued.value.expiresIn,
          scope: issued.value.scope,
        },
        200,
        NO_STORE_HEADERS,
      );
    } catch (error) {
      services.metrics.tokenRefused(environment, refusalReason(error));
      throw error;
    }
  };
}
