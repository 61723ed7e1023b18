// GET /{env}/oauth/tokeninfo — the caller's own session, as introspection would show it.
import type { Handler } from 'hono';
import { NO_STORE_HEADERS } from '../errors/oauth-error.js';
import { environmentParam, type Services } from '../services.js';
import { invalidToken, readBearerToken } from './bearer.js';

export function tokenInfoEndpoint(services: Services): Handler {
  return async function tokenInfo(c) {
    const environment = environmentParam(c);
    const token = readBearerToken(c, environment);
    const described = await services.sessions.describe(environment, token);
    if (!described.ok) throw invalidToken(environment, 'the session token is invalid, expired or revoked');
    const { keyId: _keyId, ...session } = described.value;
    return c.json(session, 200, NO_STORE_HEADERS);
  };
}
