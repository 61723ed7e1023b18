// SPEC §2 discovery (RFC 8414) and JWKS (RFC 7517): the metadata outside verifiers and clients start from.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type Environment } from '../src/shared/domain.js';
import { startGateway, type Gateway } from './support/gateway.js';

// SPEC §8 adds private_key_jwt (RFC 7523) to the two secret methods.
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
const ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];

interface Metadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  [field: string]: unknown;
}

describe('discovery and JWKS', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  async function metadata(path: string): Promise<Metadata> {
    const response = await gateway.fetch(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return (await response.json()) as Metadata;
  }

  describe.each(ENVIRONMENTS)('%s', (environment: Environment) => {
    it('serves the same RFC 8414 metadata at both well-known locations', async () => {
      const inside = await metadata(`/${environment}/.well-known/oauth-authorization-server`);
      const rfc8414 = await metadata(`/.well-known/oauth-authorization-server/${environment}`);
      expect(rfc8414).toEqual(inside);
    });

    it('lists every field SPEC §2 names, pointing at this environment', async () => {
      const body = await metadata(`/.well-known/oauth-authorization-server/${environment}`);
      const issuer = gateway.issuer(environment);
      expect(body).toMatchObject({
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        grant_types_supported: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
        token_endpoint_auth_methods_supported: AUTH_METHODS,
        introspection_endpoint_auth_methods_supported: AUTH_METHODS,
        revocation_endpoint_auth_methods_supported: AUTH_METHODS,
        token_endpoint_auth_signing_alg_values_supported: ALGORITHMS,
        introspection_endpoint_auth_signing_alg_values_supported: ALGORITHMS,
        revocation_endpoint_auth_signing_alg_values_supported: ALGORITHMS,
        dpop_signing_alg_values_supported: ALGORITHMS,
        response_types_supported: [],
      });
      expect(Array.isArray(body.scopes_supported)).toBe(true);
    });

    it('answers every advertised endpoint at its advertised URL', async () => {
      const body = await metadata(`/${environment}/.well-known/oauth-authorization-server`);
      expect((await fetch(body.jwks_uri)).status).toBe(200);
      for (const endpoint of [body.token_endpoint, body.introspection_endpoint, body.revocation_endpoint]) {
        const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
        // Reached the OAuth endpoint: it asks for client authentication rather than answering 404.
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: 'invalid_client' });
      }
    });

    it('publishes a JWKS with public caching and no private key material', async () => {
      const response = await gateway.fetch(`/${environment}/.well-known/jwks.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      const { keys } = (await response.json()) as { keys: Array<Record<string, unknown>> };
      expect(keys.length).toBeGreaterThan(0);
      for (const jwk of keys) {
        expect(jwk).toMatchObject({ kid: expect.any(String), alg: 'ES256', use: 'sig' });
        expect(jwk).not.toHaveProperty('d');
      }
    });
  });

  it('uses different signing keys in sandbox and production', async () => {
    const kids = async (environment: Environment) => {
      const { keys } = (await (await gateway.fetch(`/${environment}/.well-known/jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      return keys.map((jwk) => jwk.kid);
    };
    const sandbox = await kids('sandbox');
    const production = await kids('production');
    expect(sandbox.filter((kid) => production.includes(kid))).toEqual([]);
  });

  it('issues tokens that verify against the published JWKS with issuer and audience', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'production', scopes: ['a'] });
    const token = await gateway.mint('production', key);
    const meta = await metadata('/.well-known/oauth-authorization-server/production');
    const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
    const audience = (await (
      await gateway.fetch('/production/oauth/tokeninfo', { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { aud: string };
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: meta.issuer,
      audience: audience.aud,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ sub: key.applicationId, env: 'production', scope: 'a' });
    expect(protectedHeader.kid).toBe(decodeProtectedHeader(token).kid);
  });

  it("does not verify a sandbox token against production's JWKS", async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    const token = await gateway.mint('sandbox', key);
    const jwks = createRemoteJWKSet(new URL(`${gateway.issuer('production')}/.well-known/jwks.json`));
    await expect(jwtVerify(token, jwks)).rejects.toThrow();
  });
});

describe('discovery with KEYMINT_SCOPES', () => {
  it('lists the configured scopes in scopes_supported', async () => {
    const gateway = await startGateway({ env: { KEYMINT_SCOPES: 'orders:read orders:write' } });
    try {
      const response = await gateway.fetch('/sandbox/.well-known/oauth-authorization-server');
      expect(await response.json()).toMatchObject({ scopes_supported: ['orders:read', 'orders:write'] });
    } finally {
      await gateway.close();
    }
  });
});
