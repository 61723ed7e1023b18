// /admin/v1/environments/{env}/signing-keys — the operator lists and rotates an environment's signing keys.
import { createRoute } from '../openapi/route.js';
import { Hono } from 'hono';
import * as z from 'zod';
import type { SigningKeyView } from '../../core/keyring.js';
import { environmentParam, type AppEnv, type Services } from '../services.js';
import { adminSecurity, environmentParams, json, problems } from '../openapi/shared.js';
import { permitted } from './request.js';
import { iso } from './views.js';

function signingKeyView(key: SigningKeyView) {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    publicJwk: key.publicJwk,
    createdAt: iso(key.createdAt),
    activatesAt: iso(key.activatesAt),
    retiredAt: iso(key.retiredAt),
    publishedUntil: iso(key.publishUntil),
  };
}

const signingKeySchema = z
  .strictObject({
    kid: z.string(),
    alg: z.string(),
    // `pending`: the next key of a scheduled rotation, already in the JWKS, signing from `activatesAt`.
    status: z.enum(['pending', 'active', 'retired']),
    publicJwk: z.looseObject({ kty: z.string(), kid: z.string() }),
    createdAt: z.iso.datetime(),
    activatesAt: z.iso.datetime().nullable(),
    retiredAt: z.iso.datetime().nullable(),
    publishedUntil: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SigningKey' });

export const signingKeyRouteDocs = [
  createRoute({
    method: 'get',
    path: '/admin/v1/environments/{env}/signing-keys',
    tags: ['Admin'],
    summary: "The environment's signing keys, public parts only (root)",
    security: adminSecurity('root'),
    request: { params: environmentParams },
    responses: { 200: json(z.strictObject({ items: z.array(signingKeySchema) }), 'Signing keys'), ...problems(401, 403) },
  }),
  createRoute({
    method: 'post',
    path: '/admin/v1/environments/{env}/signing-keys/rotate',
    tags: ['Admin'],
    summary: 'Rotate the signing key; the old public key stays in the JWKS while tokens need it (root)',
    security: adminSecurity('root'),
    request: { params: environmentParams },
    responses: { 201: json(signingKeySchema, 'The new active key'), ...problems(401, 403) },
  }),
];

export function signingKeyRoutes(services: Services) {
  return new Hono<AppEnv>()
    .get('/environments/:env{sandbox|production}/signing-keys', async (c) => {
      permitted(c, 'root');
      const keys = await services.keyring.list(environmentParam(c));
      return c.json({ items: keys.map(signingKeyView) });
    })
    .post('/environments/:env{sandbox|production}/signing-keys/rotate', async (c) => {
      permitted(c, 'root');
      const environment = environmentParam(c);
      const active = await services.keyring.rotate(environment, c.get('actor'));
      return c.json(signingKeyView(active), 201);
    });
}
