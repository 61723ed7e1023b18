// GET /{env}/.well-known/jwks.json — the environment's published public keys (RFC 7517).
import type { Handler } from 'hono';
import { environmentParam, type Services } from '../services.js';

export const JWKS_MAX_AGE_SECONDS = 300;

export function jwksEndpoint(services: Services): Handler {
  return async function jwks(c) {
    const body = await services.keyring.jwks(environmentParam(c));
    return c.json(body, 200, { 'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` });
  };
}
