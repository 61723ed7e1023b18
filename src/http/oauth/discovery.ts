// RFC 8414 authorization server metadata, at `/{env}/.well-known/…` and `/.well-known/…/{env}`.
import { createRoute } from '../openapi/route.js';
import type { Handler } from 'hono';
import * as z from 'zod';
import { DPOP_SIGNING_ALGORITHMS } from '../../core/dpop.js';
import { CLIENT_SIGNING_ALGORITHMS } from '../../core/public-jwk.js';
import { environmentParams, json } from '../openapi/shared.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';
import { TOKEN_GRANTS } from './grants/index.js';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
const GRANT_TYPES = [...TOKEN_GRANTS.keys()];

const authMethods = z.array(z.enum(AUTH_METHODS));
const algorithms = z.array(z.enum(DPOP_SIGNING_ALGORITHMS));
const assertionAlgorithms = z.array(z.enum(CLIENT_SIGNING_ALGORITHMS)).meta({ description: 'RFC 7523 client assertions (private_key_jwt)' });
const metadataSchema = z
  .strictObject({
    issuer: z.string(),
    token_endpoint: z.string(),
    jwks_uri: z.string(),
    introspection_endpoint: z.string(),
    revocation_endpoint: z.string(),
    grant_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    introspection_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    revocation_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    dpop_signing_alg_values_supported: algorithms.meta({ description: 'RFC 9449 §5.1' }),
    response_types_supported: z.array(z.string()).max(0),
    scopes_supported: z.array(z.string()),
  })
  .meta({ id: 'AuthorizationServerMetadata' });

const discoveryRoute = (path: string) =>
  createRoute({
    method: 'get',
    path,
    tags: ['Discovery'],
    summary: 'RFC 8414 authorization server metadata',
    request: { params: environmentParams },
    responses: { 200: json(metadataSchema, 'Metadata of the environment') },
  });

export const discoveryRoutes = [
  discoveryRoute('/{env}/.well-known/oauth-authorization-server'),
  discoveryRoute('/.well-known/oauth-authorization-server/{env}'),
];

export function discoveryEndpoint(services: Services, environment: Environment): Handler {
  return function discovery(c) {
    const issuer = services.tokens.issuer(environment);
    return c.json(
      {
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        grant_types_supported: GRANT_TYPES,
        token_endpoint_auth_methods_supported: AUTH_METHODS,
        introspection_endpoint_auth_methods_supported: AUTH_METHODS,
        revocation_endpoint_auth_methods_supported: AUTH_METHODS,
        token_endpoint_auth_signing_alg_values_supported: CLIENT_SIGNING_ALGORITHMS,
        introspection_endpoint_auth_signing_alg_values_supported: CLIENT_SIGNING_ALGORITHMS,
        revocation_endpoint_auth_signing_alg_values_supported: CLIENT_SIGNING_ALGORITHMS,
        dpop_signing_alg_values_supported: DPOP_SIGNING_ALGORITHMS,
        response_types_supported: [],
        scopes_supported: services.config.scopes ?? [],
      },
      200,
      { 'Cache-Control': 'public, max-age=300' },
    );
  };
}
