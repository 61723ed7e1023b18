// POST /{env}/oauth/introspect — RFC 7662 for clients of the same environment and account.
import { createRoute } from '../openapi/route.js';
import type { Handler } from 'hono';
import * as z from 'zod';
import { ENVIRONMENTS } from '../../shared/domain.js';
import { CLIENT_SECURITY, environmentParams, json, oauthErrors } from '../openapi/shared.js';
import { invalidRequest, NO_STORE_HEADERS } from '../errors/oauth-error.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import { authenticateClient } from './client-auth.js';
import { readOAuthParams } from './form.js';

export const activeSessionSchema = z
  .strictObject({
    active: z.literal(true),
    scope: z.string(),
    client_id: z.string(),
    sub: z.string(),
    aud: z.string(),
    iss: z.string(),
    exp: z.number().int(),
    iat: z.number().int(),
    jti: z.string(),
    token_type: z.enum(['Bearer', 'DPoP']),
    env: z.enum(ENVIRONMENTS),
    cnf: z
      .strictObject({ jkt: z.string() })
      .optional()
      .meta({ description: 'RFC 9449 §6: the thumbprint of the DPoP key a bound token is bound to' }),
  })
  .meta({ id: 'ActiveSession' });

export const tokenRequestBody = (description: string) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: z.object({
        token: z.string().meta({ description }),
        token_type_hint: z.string().optional(),
        client_id: z.string().optional(),
        client_secret: z.string().optional(),
        client_assertion_type: z.string().optional(),
        client_assertion: z.string().optional(),
      }),
    },
  },
});

export const introspectionRoute = createRoute({
  method: 'post',
  path: '/{env}/oauth/introspect',
  tags: ['OAuth'],
  summary: 'RFC 7662 token introspection (a key of the same environment and account)',
  security: CLIENT_SECURITY,
  request: { params: environmentParams, body: tokenRequestBody('The session token to look at') },
  responses: {
    200: json(
      z.union([activeSessionSchema, z.strictObject({ active: z.literal(false) })]).meta({ id: 'Introspection' }),
      'The session, or {"active": false}',
    ),
    ...oauthErrors(400, 401, 413, 429, 503),
  },
});

export function introspectionEndpoint(services: Services, environment: Environment): Handler {
  return async function introspect(c) {
    const params = await readOAuthParams(c);
    const caller = await authenticateClient(c, services, environment, params);
    const token = params.get('token');
    if (!token) throw invalidRequest('token is required');
    return c.json(await services.sessions.introspect(environment, caller, token), 200, NO_STORE_HEADERS);
  };
}
