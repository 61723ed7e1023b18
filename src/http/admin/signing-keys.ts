// /admin/v1/environments/{env}/signing-keys — the operator lists and rotates an environment's signing keys.
import { Hono } from 'hono';
import type { SigningKeyView } from '../../core/keyring.js';
import { environmentParam, type AppEnv, type Services } from '../services.js';
import { permitted } from './request.js';
import { iso } from './views.js';

function signingKeyView(key: SigningKeyView) {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    publicJwk: key.publicJwk,
    createdAt: iso(key.createdAt),
    retiredAt: iso(key.retiredAt),
    publishedUntil: iso(key.publishUntil),
  };
}

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
      const active = await services.keyring.rotate(environment);
      await services.management.recordEnvironmentOperation(c.get('actor'), environment, 'signing_key.rotated');
      return c.json(signingKeyView(active), 201);
    });
}
