// /console: the server-rendered web console over the same KeyManagement the admin API uses.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Services } from '../services.js';
import { accountRoutes } from './accounts.js';
import { adminTokenRevokeRoutes } from './admin-token-revoke.js';
import { adminTokenRoutes } from './admin-tokens.js';
import { serveAsset } from './assets.js';
import { ConsoleError, type ConsoleEnv } from './context.js';
import { consoleErrorHandler } from './errors.js';
import { keyActionRoutes } from './key-actions.js';
import { keyDetailRoutes } from './key-detail.js';
import { keyEditRoutes } from './key-edit.js';
import { keyListRoutes } from './key-list.js';
import { keySecretRoutes } from './key-secret.js';
import { operationRoutes } from './operations.js';
import { consoleSession, signInRoutes } from './sign-in.js';
import { signingKeyRoutes } from './signing-keys.js';
import { webhookDeleteRoutes } from './webhook-delete.js';
import { webhookDeliveryRoutes } from './webhook-deliveries.js';
import { webhookRoutes } from './webhooks.js';
import { consoleNavigationsOnly, consoleSecurityHeaders, sameOriginForms } from './security.js';

/** A console form is a few short fields, or a pasted JWK Set (five RSA keys with certificate chains): as the admin API's body. */
const MAX_FORM_BYTES = 64 * 1024;

export function consoleRoutes(services: Services) {
  const session = consoleSession(services);
  const app = new Hono<ConsoleEnv>();
  app.use(consoleSecurityHeaders);
  app.get('/assets/:file', serveAsset);
  app.use(
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: () => {
        throw new ConsoleError(413, 'Too much data', 'The form sent more data than the console accepts.');
      },
    }),
  );
  app.use(sameOriginForms(services));
  // Before any session is read: a page answered to anything but a top-level navigation would hand over its CSRF token.
  app.use(consoleNavigationsOnly(services));
  app.route('/', signInRoutes(services));
  // Everything else needs a signed-in session (and a POST, its CSRF token).
  app.use('/', session);
  app.use('/accounts', session);
  app.use('/accounts/*', session);
  app.use('/signing-keys', session);
  app.use('/signing-keys/*', session);
  app.route('/', accountRoutes(services));
  app.route('/', keyListRoutes(services));
  app.route('/', keyDetailRoutes(services));
  app.route('/', keyEditRoutes(services));
  app.route('/', keyActionRoutes(services));
  app.route('/', keySecretRoutes(services));
  app.route('/', operationRoutes(services));
  app.route('/', webhookRoutes(services));
  app.route('/', webhookDeleteRoutes(services));
  app.route('/', webhookDeliveryRoutes(services));
  app.route('/', adminTokenRoutes(services));
  app.route('/', adminTokenRevokeRoutes(services));
  app.route('/', signingKeyRoutes(services));
  app.all('*', () => {
    throw new ConsoleError(404, 'Not found', 'The console has no such page.');
  });
  app.onError(consoleErrorHandler(services));
  return app;
}
