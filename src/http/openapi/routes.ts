// The API's table of contents: every documented route, /openapi.json and the /docs reference.
import type { RouteConfig } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import * as z from 'zod';
import { accountRouteDocs } from '../admin/accounts.js';
import { adminTokenRouteDocs } from '../admin/admin-tokens.js';
import { webhookRouteDocs } from '../admin/webhooks.js';
import { keyRouteDocs } from '../admin/keys.js';
import { operationRouteDocs } from '../admin/operations.js';
import { signingKeyRouteDocs } from '../admin/signing-keys.js';
import { observabilityRoutes } from '../observability.js';
import { discoveryRoutes } from '../oauth/discovery.js';
import { introspectionRoute } from '../oauth/introspect.js';
import { jwksRoute } from '../oauth/jwks.js';
import { revocationRoute } from '../oauth/revoke.js';
import { tokenRoute } from '../oauth/token.js';
import { tokenInfoRoute } from '../oauth/tokeninfo.js';
import type { ApiReferenceScriptSource } from '../../ports/api-reference-script.js';
import type { AppEnv } from '../services.js';
import { mountReferencePage } from './docs-page.js';
import { createRoute } from './route.js';
import { BEARER_SECURITY, environmentParams, problems } from './shared.js';

const PROXY_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

// The reverse proxy answers whatever the upstream answers; documented by what keymint itself adds.
const proxyRoutes = PROXY_METHODS.map((method) =>
  createRoute({
    method,
    path: '/{env}/api/{path}',
    tags: ['Proxy'],
    summary: "Forward to the environment's service for the path, with identity headers (session token or Api-Key)",
    security: [...BEARER_SECURITY, { apiKey: [] }],
    request: { params: environmentParams.extend({ path: z.string().meta({ description: 'Rest of the upstream path' }) }) },
    responses: {
      200: { description: "The upstream's answer, status, headers and body unchanged (with RateLimit fields for a key with limits)" },
      400: {
        description:
          'Both Authorization and Api-Key sent (RFC 6749 invalid_request JSON), or a path with empty or dot segments (problem JSON)',
      },
      401: {
        description:
          'invalid_token: no, expired or foreign credential, or a token for another service (WWW-Authenticate: Bearer, or DPoP ' +
          'with invalid_token / invalid_dpop_proof / use_dpop_nonce for DPoP callers)',
      },
      403: { description: "insufficient_scope for a route rule (RFC 6750; WWW-Authenticate in the caller's scheme)" },
      ...problems(404),
      429: {
        description:
          "The key's rateLimit or quota is spent (problem JSON rate_limited / quota_exceeded, Retry-After, RateLimit-Policy, " +
          'RateLimit), or too many failed Api-Keys from this address (slow_down JSON, Retry-After)',
      },
      502: { description: 'The upstream is down or reset the connection (problem JSON)' },
      503: { description: "The key has limits and the limiter's store (Redis) is down (problem JSON unavailable, Retry-After)" },
      504: { description: 'The upstream did not answer in time (problem JSON)' },
    },
  }),
);

export const documentedRoutes: RouteConfig[] = [
  ...discoveryRoutes,
  jwksRoute,
  tokenRoute,
  introspectionRoute,
  revocationRoute,
  tokenInfoRoute,
  ...proxyRoutes,
  ...accountRouteDocs,
  ...adminTokenRouteDocs,
  ...webhookRouteDocs,
  ...keyRouteDocs,
  ...operationRouteDocs,
  ...signingKeyRouteDocs,
  ...observabilityRoutes,
];

/** /openapi.json, and /docs with the reference script when the runtime ships one (`script`; Node does, Workers not). */
export function mountApiDocs(app: Hono<AppEnv>, publicUrl: string, script?: ApiReferenceScriptSource) {
  let document: Promise<object> | undefined;
  const openApiDocument = () => {
    document ??= import('./document.js')
      .then(({ buildOpenApiDocument }) => buildOpenApiDocument(documentedRoutes, publicUrl))
      .catch((error: unknown) => {
        document = undefined;
        throw error;
      });
    return document;
  };
  app.get('/openapi.json', async (c) => c.json(await openApiDocument(), 200, { 'Cache-Control': 'public, max-age=300' }));
  mountReferencePage(app, { document: openApiDocument, script });
}
