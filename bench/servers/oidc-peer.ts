// The peer: node-oidc-provider issuing RFC 9068 ES256 JWT access tokens for client_credentials (resource
// indicators), with introspection on, its default in-process adapter, and the same clients keymint has.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { JWT_RESOURCE, OPAQUE_RESOURCE } from '../lib/peer-resources.js';

interface Credential {
  applicationId: string;
  applicationSecret: string;
}

const port = Number(process.env.PORT);
const credentials = JSON.parse(readFileSync(process.env.CREDENTIALS_FILE!, 'utf8')) as Credential[];
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'peer-es256', alg: 'ES256', use: 'sig' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: credentials.map((c) => ({
    client_id: c.applicationId,
    client_secret: c.applicationSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    introspection_endpoint_auth_method: 'client_secret_basic',
    scope: 'read write',
  })),
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  jwks: { keys: [signingJwk] },
  scopes: ['read', 'write'],
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => JWT_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, resource: string) =>
        resource === OPAQUE_RESOURCE
          ? { scope: 'read write', accessTokenFormat: 'opaque' }
          : { scope: 'read write', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
    },
  },
});
provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-provider server_error: ${String(error)}\n`));

createServer(provider.callback()).listen(port, '127.0.0.1', () =>
  process.stdout.write(`oidc-provider listening on ${port}\n`),
);
