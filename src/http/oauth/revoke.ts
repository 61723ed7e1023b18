// POST /{env}/oauth/revoke — RFC 7009: 200 whether or not the token was known.
import { createRoute } from '../openapi/route.js';
import type { Handler } from 'hono';
import { CLIENT_SECURITY, environmentParams, oauthErrors } from '../openapi/shared.js';
import { tokenRequestBody } from './introspect.js';
import { invalidRequest, NO_STORE_HEADERS } from '../errors/oauth-error.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import { authenticateClient } from './client-auth.js';
import { readOAuthParams } from './form.js';

export const revocationRoute = createRoute({
  method: 'post',
  path: '/{env}/oauth/revoke',
  tags: ['OAuth'],
  summary: "RFC 7009 revocation of one of the caller key's session tokens",
  security: CLIENT_SECURITY,
  request: { params: environmentParams, body: tokenRequestBody('The session token to revoke') },
  responses: { 200: { description: 'Revoked, or nothing to revoke (unknown tokens too)' }, ...oauthErrors(400, 401, 413, 429, 503) },
});

export function revocationEndpoint(services: Services, environment: Environment): Handler {
  return async function revoke(c) {
    const params = await readOAuthParams(c);
    const caller = await authenticateClient(c, services, environment, params);
    const token = params.get('token');
    if (!token) throw invalidRequest('token is required');
    await services.sessions.revoke(environment, caller, token);
    return c.body(null, 200, NO_STORE_HEADERS);
  };
}
