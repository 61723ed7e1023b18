// POST /{env}/oauth/introspect — RFC 7662 for clients of the same environment and account.
import type { Handler } from 'hono';
import { invalidRequest, NO_STORE_HEADERS } from '../errors/oauth-error.js';
import { environmentParam, type Services } from '../services.js';
import { authenticateClient } from './client-auth.js';
import { readOAuthParams } from './form.js';

export function introspectionEndpoint(services: Services): Handler {
  return async function introspect(c) {
    const environment = environmentParam(c);
    const params = await readOAuthParams(c);
    const caller = await authenticateClient(c, services, environment, params);
    const token = params.get('token');
    if (!token) throw invalidRequest('token is required');
    return c.json(await services.sessions.introspect(environment, caller, token), 200, NO_STORE_HEADERS);
  };
}
