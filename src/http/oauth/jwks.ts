// GET /{env}/.well-known/jwks.json — the environment's published public keys (RFC 7517).
import { createRoute } from '../openapi/route.js';
import type { Handler } from 'hono';
import * as z from 'zod';
import { environmentParams, json } from '../openapi/shared.js';
import type { Services } from '../services.js';
import type { Environment } from '../../shared/domain.js';

// Short: a rotated key signs at once, and verifiers behind a shared cache must see it soon.
export const JWKS_MAX_AGE_SECONDS = 60;

const jwkSchema = z
  .looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })
  .meta({ id: 'JWK' });

export const jwksRoute = createRoute({
  method: 'get',
  path: '/{env}/.well-known/jwks.json',
  tags: ['Discovery'],
  summary: "The environment's signing keys: the active one and retired ones still needed",
  request: { params: environmentParams },
  responses: { 200: json(z.strictObject({ keys: z.array(jwkSchema) }).meta({ id: 'JWKS' }), 'RFC 7517 JWK set') },
});

export function jwksEndpoint(services: Services, environment: Environment): Handler {
  return async function jwks(c) {
    const body = await services.keyring.jwks(environment);
    return c.json(body, 200, { 'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` });
  };
}
