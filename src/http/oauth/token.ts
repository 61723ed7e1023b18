// POST /{env}/oauth/token — RFC 6749 §4.4 client credentials, answering RFC 9068 session tokens.
import { createRoute } from '../openapi/route.js';
import type { Handler } from 'hono';
import * as z from 'zod';
import { CLIENT_SECURITY, environmentParams, json, oauthErrors } from '../openapi/shared.js';
import { invalidRequest, NO_STORE_HEADERS, OAuthError } from '../errors/oauth-error.js';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import { resolveTokenAudience } from '../../core/audiences.js';
import { keyLimits } from '../../core/key-limits.js';
import { mintRefusal } from '../errors/limit-refusals.js';
import { limitHeaders } from '../rate-limit-fields.js';
import { authenticateClient } from './client-auth.js';
import { readOAuthParams } from './form.js';

export const tokenResponseSchema = z
  .strictObject({
    access_token: z.string().meta({ description: 'RFC 9068 JWT (typ at+jwt)' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    scope: z.string(),
  })
  .meta({ id: 'TokenResponse' });

export const tokenRoute = createRoute({
  method: 'post',
  path: '/{env}/oauth/token',
  tags: ['OAuth'],
  summary: 'Exchange an application ID and secret for a session token (client credentials)',
  security: CLIENT_SECURITY,
  request: {
    params: environmentParams,
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z.object({
            grant_type: z.literal('client_credentials'),
            scope: z.string().optional().meta({ description: "Space-delimited subset of the key's scopes; default all" }),
            resource: z
              .string()
              .optional()
              .meta({
                description:
                  "RFC 8707: the audience of one of the environment's services; the token's aud is then that URI and only that service accepts it (default: the environment's default audience, which every service accepts)",
              }),
            client_id: z.string().optional(),
            client_secret: z.string().optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: json(tokenResponseSchema, "A session token (with the RateLimit fields when the key has a tokenRateLimit)"),
    ...oauthErrors(400, 401, 413, 429, 503),
  },
});

function refusalReason(error: unknown): string {
  if (error instanceof OAuthError) return error.reason;
  if (error instanceof StoreUnavailableError) return 'temporarily_unavailable';
  return 'server_error';
}

export function tokenEndpoint(services: Services, environment: Environment): Handler {
  return async function token(c) {
    try {
      const params = await readOAuthParams(c);
      const key = await authenticateClient(c, services, environment, params);
      const grantType = params.get('grant_type');
      if (grantType === undefined) throw invalidRequest('grant_type is required');
      if (grantType !== 'client_credentials') {
        throw new OAuthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
      }
      const audience = resolveTokenAudience(services.gateway.current[environment].audiences, params.all('resource'));
      if (!audience.ok) throw new OAuthError(400, 'invalid_target', audience.detail ?? 'the resource is not known here');
      const keyRef = { environment, keyId: key.id };
      // Before the issuance cache: every token answered counts against the key's minting budget.
      const { tokenRateLimit } = keyLimits(key);
      const decision = tokenRateLimit && (await services.keyLimiter.admitMint(keyRef, tokenRateLimit));
      if (decision && !decision.allowed) {
        services.usageCounts.count(keyRef, 'rate_limited');
        throw mintRefusal(decision);
      }
      const issued = await services.sessions.issue(environment, key, params.get('scope'), audience.value);
      if (!issued.ok) throw new OAuthError(400, 'invalid_scope', issued.detail ?? 'the requested scope is not allowed');
      services.metrics.tokenMinted(environment, issued.value.cache);
      services.usageCounts.count(keyRef, 'tokens');
      return c.json(
        {
          access_token: issued.value.accessToken,
          token_type: 'Bearer',
          expires_in: issued.value.expiresIn,
          scope: issued.value.scope,
        },
        200,
        { ...NO_STORE_HEADERS, ...(decision && limitHeaders(decision)) },
      );
    } catch (error) {
      services.metrics.tokenRefused(environment, refusalReason(error));
      throw error;
    }
  };
}
