// RFC 8414 authorization server metadata, at `/{env}/.well-known/…` and `/.well-known/…/{env}`.
import type { Handler } from 'hono';
import { environmentParam, type Services } from '../services.js';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

export function discoveryEndpoint(services: Services): Handler {
  return function discovery(c) {
    const environment = environmentParam(c);
    const issuer = services.tokens.issuer(environment);
    return c.json(
      {
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: AUTH_METHODS,
        introspection_endpoint_auth_methods_supported: AUTH_METHODS,
        revocation_endpoint_auth_methods_supported: AUTH_METHODS,
        response_types_supported: [],
        scopes_supported: services.config.scopes ?? [],
      },
      200,
      { 'Cache-Control': 'public, max-age=300' },
    );
  };
}
