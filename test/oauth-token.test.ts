// SPEC §2 token endpoint through real HTTP: client authentication, grant and scope checks, wire format, JWT shape.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { postForm } from './support/oauth-calls.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function expectOAuthError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe('string');
  return body;
}

/** A secret of the right shape with its last character changed: the checksum no longer matches. */
function mistype(secret: string): string {
  const last = secret.at(-1)!;
  return secret.slice(0, -1) + (last === 'a' ? 'b' : 'a');
}

describe('POST /{env}/oauth/token', () => {
  let gateway: Gateway;
  let key: ApiKeyWithSecret;
  beforeAll(async () => {
    gateway = await startGateway();
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write', 'stock'] });
  });
  afterAll(() => gateway.close());

  describe('client authentication', () => {
    it('accepts client_secret_basic', async () => {
      const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    });

    it('accepts client_secret_post', async () => {
      const response = await postForm(gateway, 'sandbox', 'token', { grant_type: 'client_credentials' }, key);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    });

    it('refuses both methods at once with invalid_request', async () => {
      const response = await gateway.fetch('/sandbox/oauth/token', {
        method: 'POST',
        headers: { ...FORM, authorization: basic(key.applicationId, key.applicationSecret) },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: key.applicationId,
          client_secret: key.applicationSecret,
        }),
      });
      await expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers 401 invalid_client without any client authentication', async () => {
      const response = await gateway.fetch('/sandbox/oauth/token', {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      await expectOAuthError(response, 401, 'invalid_client');
    });

    it('answers 401 invalid_client with a Basic challenge for a wrong secret sent with Basic', async () => {
      const other = await gateway.createKey(key.accountId, { environment: 'sandbox' });
      // A well-formed secret (valid checksum) that belongs to another key.
      const response = await gateway.exchange('sandbox', key.applicationId, other.applicationSecret);
      const body = await expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="sandbox"');
      expect(body.error_description).not.toContain(other.applicationSecret);
      await gateway.admin('DELETE', `/accounts/${key.accountId}/keys/${other.id}`);
    });

    it('answers invalid_client without a Basic challenge for a wrong secret sent in the body', async () => {
      const response = await postForm(gateway, 'sandbox', 'token', {
        grant_type: 'client_credentials',
        client_id: key.applicationId,
        client_secret: mistype(key.applicationSecret),
      });
      await expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toBeNull();
    });

    it.each([
      ['a secret with one character changed (checksum mismatch)', (secret: string) => mistype(secret)],
      ['a truncated secret', (secret: string) => secret.slice(0, -1)],
      ['a secret of the wrong shape', () => 'not-a-secret'],
      ['an empty secret', () => ''],
    ])('answers invalid_client for %s', async (_, corrupt) => {
      const response = await gateway.exchange('sandbox', key.applicationId, corrupt(key.applicationSecret));
      await expectOAuthError(response, 401, 'invalid_client');
    });

    it('answers invalid_client for an unknown client_id', async () => {
      const response = await gateway.exchange('sandbox', 'app_sbx_000000000000000000000000', key.applicationSecret);
      await expectOAuthError(response, 401, 'invalid_client');
    });
  });

  describe('grant and parameters', () => {
    it('answers invalid_request when grant_type is missing', async () => {
      const response = await postForm(gateway, 'sandbox', 'token', {}, key);
      await expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers unsupported_grant_type for grant_type=password', async () => {
      const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, {
        grant_type: 'password',
      });
      await expectOAuthError(response, 400, 'unsupported_grant_type');
    });

    it('grants a requested subset of the key scopes', async () => {
      const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, {
        scope: 'stock orders:read',
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { scope: string; access_token: string };
      expect(body.scope.split(' ').sort()).toEqual(['orders:read', 'stock']);
      expect(decodeJwt(body.access_token).scope).toBe(body.scope);
    });

    it('answers invalid_scope for a scope the key does not hold', async () => {
      const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, {
        scope: 'orders:read admin',
      });
      await expectOAuthError(response, 400, 'invalid_scope');
    });

    it('grants every scope of the key when none is requested', async () => {
      const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
      const body = (await response.json()) as { scope: string };
      expect(body.scope.split(' ').sort()).toEqual([...key.scopes].sort());
    });

    it('accepts a JSON body', async () => {
      const response = await gateway.fetch('/sandbox/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(key.applicationId, key.applicationSecret) },
        body: JSON.stringify({ grant_type: 'client_credentials', scope: 'stock' }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: 'Bearer', scope: 'stock' });
    });

    it('answers invalid_request for a parameter given twice', async () => {
      const response = await gateway.fetch('/sandbox/oauth/token', {
        method: 'POST',
        headers: { ...FORM, authorization: basic(key.applicationId, key.applicationSecret) },
        body: 'grant_type=client_credentials&scope=stock&scope=orders%3Aread',
      });
      await expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers invalid_request for a body that is neither form nor JSON', async () => {
      const response = await gateway.fetch('/sandbox/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: basic(key.applicationId, key.applicationSecret) },
        body: 'grant_type=client_credentials',
      });
      await expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers GET with a JSON error, not an HTML page', async () => {
      const response = await gateway.fetch('/sandbox/oauth/token');
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) });
    });
  });

  describe('wire format', () => {
    it('answers 200 with the RFC 6749 fields and no-store caching headers', async () => {
      const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('pragma')).toBe('no-cache');
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
      expect(body.token_type).toBe('Bearer');
      expect(body.expires_in).toBeGreaterThan(0);
    });

    it('marks error responses no-store as well', async () => {
      const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, {
        grant_type: 'password',
      });
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('pragma')).toBe('no-cache');
    });

    it('issues an RFC 9068 JWT with the SPEC §1 header and claims', async () => {
      const token = await gateway.mint('sandbox', key, 'orders:read');
      const header = decodeProtectedHeader(token);
      expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: expect.any(String) });
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({
        iss: gateway.issuer('sandbox'),
        sub: key.applicationId,
        client_id: key.applicationId,
        scope: 'orders:read',
        env: 'sandbox',
        acct: key.accountId,
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect(claims.aud).toEqual(expect.any(String));
      expect(claims.exp! - claims.iat!).toBe(3600);
    });

    it.each([
      ['GET', '/sandbox/oauth/token', 'POST'],
      ['PUT', '/production/oauth/introspect', 'POST'],
      ['GET', '/sandbox/oauth/revoke', 'POST'],
      ['POST', '/production/oauth/tokeninfo', 'GET'],
    ])('answers %s %s with 405, Allow: %s, in the OAuth error format', async (method, path, allowed) => {
      const response = await gateway.fetch(path, { method });
      await expectOAuthError(response, 405, 'invalid_request');
      expect(response.headers.get('allow')).toBe(allowed);
    });

    it('answers an unknown environment or endpoint with 400 invalid_request, not a page', async () => {
      await expectOAuthError(await gateway.fetch('/sandbox/oauth/authorize', { method: 'POST' }), 400, 'invalid_request');
      const other = await gateway.fetch('/staging/oauth/token', { method: 'POST' });
      expect(other.status).toBe(404);
      expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('gives every new token its own jti', async () => {
      const first = decodeJwt(await gateway.mint('sandbox', key, 'orders:write'));
      const second = decodeJwt(await gateway.mint('sandbox', key, 'stock orders:write'));
      expect(first.jti).not.toBe(second.jti);
    });
  });
});

describe('token lifetime', () => {
  it('follows KEYMINT_SESSION_TTL in the token and in expires_in', async () => {
    const gateway = await startGateway({ env: { KEYMINT_SESSION_TTL: '120' } });
    try {
      const account = await gateway.createAccount();
      const key = await gateway.createKey(account.id, { environment: 'production', scopes: ['a'] });
      const response = await gateway.exchange('production', key.applicationId, key.applicationSecret);
      const body = (await response.json()) as { access_token: string; expires_in: number };
      expect(body.expires_in).toBe(120);
      const claims = decodeJwt(body.access_token);
      expect(claims.exp! - claims.iat!).toBe(120);
    } finally {
      await gateway.close();
    }
  });
});

describe('per-environment token lifetime', () => {
  it('follows KEYMINT_SESSION_TTL_PRODUCTION in production only', async () => {
    const gateway = await startGateway({ env: { KEYMINT_SESSION_TTL: '900', KEYMINT_SESSION_TTL_PRODUCTION: '300' } });
    try {
      const account = await gateway.createAccount();
      const lifetime = async (environment: 'sandbox' | 'production') => {
        const claims = decodeJwt(await gateway.mint(environment, await gateway.createKey(account.id, { environment })));
        return claims.exp! - claims.iat!;
      };
      expect(await lifetime('production')).toBe(300);
      expect(await lifetime('sandbox')).toBe(900);
    } finally {
      await gateway.close();
    }
  });
});
