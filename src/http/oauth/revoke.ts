// POST /{env}/oauth/revoke — RFC 7009: 200 whether or not the token was known.
import type { Handler } from 'hono';
import { invalidRequest, NO_STORE_HEADERS } from '../errors/oauth-error.js';
import { environmentParam, type Services } from '../services.js';
import { authenticateClient } from './client-auth.js';
import { readOAuthParams } from './form.js';

export function revocationEndpoint(services: Services): Handler {
  return async function revoke(c) {
    const environment = environmentParam(c);
    const params = await readOAuthParams(c);
    const caller = await authenticateClient(c, services, environment, params);
    const token = params.get('token');
    if (!token) throw invalidRequest('token is required');
    await services.sessions.revoke(environment, caller, token);
    return c.body(null, 200, NO_STORE_HEADERS);
  };
}
