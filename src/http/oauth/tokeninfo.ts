// GET /{env}/oauth/tokeninfo — the caller's own session, as introspection would show it.
import { createRoute } from '../openapi/route.js';
import type { Handler } from 'hono';
import * as z from 'zod';
import { BEARER_SECURITY, environmentParams, json, oauthErrors } from '../openapi/shared.js';
import { activeSessionSchema } from './introspect.js';
import { NO_STORE_HEADERS } from '../errors/oauth-error.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import { invalidToken, readBearerToken } from './bearer.js';

export const tokenInfoRoute = createRoute({
  method: 'get',
  path: '/{env}/oauth/tokeninfo',
  tags: ['OAuth'],
  summary: 'The bearer session token, as introspection shows it, with its account',
  security: BEARER_SECURITY,
  request: { params: environmentParams },
  responses: {
    200: json(activeSessionSchema.extend({ acct: z.string() }).meta({ id: 'TokenInfo' }), 'The session'),
    ...oauthErrors(401, 503),
  },
});

export function tokenInfoEndpoint(services: Services, environment: Environment): Handler {
  return async function tokenInfo(c) {
    const token = readBearerToken(c, environment);
    const described = await services.sessions.describe(environment, token);
    if (!described.ok) throw invalidToken(environment, 'the session token is invalid, expired or revoked');
    const { keyId: _keyId, key: _key, ...session } = described.value;
    return c.json(session, 200, NO_STORE_HEADERS);
  };
}
