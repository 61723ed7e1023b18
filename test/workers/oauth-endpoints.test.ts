// SPEC §2 inside workerd (D1 + Workers KV): discovery, JWKS, token exchange, introspection, revocation, tokeninfo.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  call,
  createAccount,
  createKey,
  exchange,
  expectOAuthError,
  introspect,
  issuer,
  mint,
  ORIGIN,
  postForm,
  tokenInfo,
  type KeyWithSecret,
} from './support/worker-client.js';

describe('discovery and JWKS', () => {
  it('serves RFC 8414 metadata under both path forms, with the issuer derived from the request origin', async () => {
    const suffixed = await call('/sandbox/.well-known/oauth-authorization-server');
    const inserted = await call('/.well-known/oauth-authorization-server/sandbox');
    expect(suffixed.status).toBe(200);
    expect(inserted.status).toBe(200);
    const metadata = await suffixed.json();
    expect(await inserted.json()).toEqual(metadata);
    expect(metadata).toMatchObject({
      issuer: `${ORIGIN}/sandbox`,
      token_endpoint: `${ORIGIN}/sandbox/oauth/token`,
      jwks_uri: `${ORIGIN}/sandbox/.well-known/jwks.json`,
      introspection_endpoint: `${ORIGIN}/sandbox/oauth/introspect`,
      revocation_endpoint: `${ORIGIN}/sandbox/oauth/revoke`,
      grant_types_supported: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      // SPEC §8: private_key_jwt beside the secret methods, with the assertion algorithms.
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
      introspection_endpoint_auth_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
      revocation_endpoint_auth_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
      response_types_supported: [],
    });
  });

  it('publishes a cacheable JWKS per environment, with different keys in each', async () => {
    const sandbox = await call('/sandbox/.well-known/jwks.json');
    expect(sandbox.status).toBe(200);
    expect(sandbox.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const production = await call('/production/.well-known/jwks.json');
    const sandboxKids = ((await sandbox.json()) as JSONWebKeySet).keys.map((key) => key.kid);
    const productionKids = ((await production.json()) as JSONWebKeySet).keys.map((key) => key.kid);
    expect(sandboxKids.length).toBeGreaterThan(0);
    expect(productionKids.length).toBeGreaterThan(0);
    expect(sandboxKids.filter((kid) => productionKids.includes(kid))).toEqual([]);
  });
});

describe('token endpoint', () => {
  let key: KeyWithSecret;
  let sibling: KeyWithSecret;
  let productionKey: KeyWithSecret;
  beforeAll(async () => {
    const account = await createAccount();
    key = await createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write'] });
    sibling = await createKey(account.id, { environment: 'sandbox' });
    productionKey = await createKey(account.id, { environment: 'production', scopes: ['orders:read'] });
  });

  it('exchanges client_secret_basic credentials for an RFC 9068 token that verifies against the JWKS', async () => {
    const response = await exchange('sandbox', key.applicationId, key.applicationSecret);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'orders:read orders:write' });

    const jwks = (await (await call('/sandbox/.well-known/jwks.json')).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(body.access_token as string, createLocalJWKSet(jwks), {
      issuer: issuer('sandbox'),
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      sub: key.applicationId,
      client_id: key.applicationId,
      env: 'sandbox',
      acct: key.accountId,
      scope: 'orders:read orders:write',
    });
  });

  it('accepts client_secret_post and a JSON body, and narrows the scope on request', async () => {
    const form = await postForm('sandbox', 'token', { grant_type: 'client_credentials', scope: 'orders:read' }, key);
    expect(form.status).toBe(200);
    expect(await form.json()).toMatchObject({ scope: 'orders:read' });
    const json = await call('/sandbox/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: key.applicationId,
        client_secret: key.applicationSecret,
      }),
    });
    expect(json.status).toBe(200);
  });

  it('reuses a cached token while at least half of its lifetime is left', async () => {
    const first = await mint('sandbox', key, { scope: 'orders:write' });
    const second = await mint('sandbox', key, { scope: 'orders:write' });
    expect(second).toBe(first);
  });

  it('answers invalid_request when both client authentication methods are used', async () => {
    const response = await call('/sandbox/oauth/token', {
      method: 'POST',
      headers: {
        authorization: basic(key.applicationId, key.applicationSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key.applicationSecret }),
    });
    await expectOAuthError(response, 400, 'invalid_request');
  });

  it('answers unsupported_grant_type and invalid_scope', async () => {
    const grant = await exchange('sandbox', key.applicationId, key.applicationSecret, { grant_type: 'password' });
    await expectOAuthError(grant, 400, 'unsupported_grant_type');
    const scope = await exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'admin' });
    await expectOAuthError(scope, 400, 'invalid_scope');
  });

  it('answers invalid_client with a Basic challenge, in the same words for a wrong secret and an unknown client', async () => {
    const wrong = await exchange('sandbox', key.applicationId, sibling.applicationSecret);
    const unknown = await exchange('sandbox', 'app_sbx_000000000000000000000000', key.applicationSecret);
    const wrongBody = await expectOAuthError(wrong, 401, 'invalid_client');
    const unknownBody = await expectOAuthError(unknown, 401, 'invalid_client');
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="sandbox"');
    expect(wrongBody.error_description).toBe('client authentication failed');
    expect(unknownBody.error_description).toBe(wrongBody.error_description);
  });

  it('tells a mistyped secret apart by its checksum', async () => {
    const last = key.applicationSecret.at(-1) === 'A' ? 'B' : 'A';
    const mistyped = await exchange('sandbox', key.applicationId, key.applicationSecret.slice(0, -1) + last);
    const body = await expectOAuthError(mistyped, 401, 'invalid_client');
    expect(body.error_description).toMatch(/checksum/);
  });

  it('answers 429 with Retry-After once a client_id has failed too often (counters in Durable Objects)', async () => {
    const clientId = `app_sbx_${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;
    for (let attempt = 0; attempt < 10; attempt++) {
      await expectOAuthError(await exchange('sandbox', clientId, key.applicationSecret), 401, 'invalid_client');
    }
    const limited = await exchange('sandbox', clientId, key.applicationSecret);
    await expectOAuthError(limited, 429, 'slow_down');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other clients are not affected.
    expect((await exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(200);
  });

  it("names the other environment when a production secret is presented to sandbox", async () => {
    const response = await exchange('sandbox', productionKey.applicationId, productionKey.applicationSecret);
    const body = await expectOAuthError(response, 401, 'invalid_client');
    expect(body.error_description).toMatch(/production/);
  });

  it('never answers a 500 or HTML for garbage', async () => {
    const response = await call('/sandbox/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic %%%' },
      body: 'grant_type=client_credentials',
    });
    await expectOAuthError(response, 400, 'invalid_request');
  });
});

describe('introspection, revocation and tokeninfo', () => {
  let key: KeyWithSecret;
  let sibling: KeyWithSecret;
  let stranger: KeyWithSecret;
  let productionKey: KeyWithSecret;
  beforeAll(async () => {
    const account = await createAccount();
    key = await createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    sibling = await createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    productionKey = await createKey(account.id, { environment: 'production', scopes: ['a'] });
    stranger = await createKey((await createAccount('Other')).id, { environment: 'sandbox' });
  });

  it('introspects a live token of the same account as active, with the RFC 7662 fields', async () => {
    const token = await mint('sandbox', key);
    expect(await introspect('sandbox', sibling, token)).toEqual({
      active: true,
      scope: 'a',
      client_id: key.applicationId,
      sub: key.applicationId,
      aud: expect.any(String),
      iss: issuer('sandbox'),
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      token_type: 'Bearer',
      env: 'sandbox',
    });
  });

  it('answers inactive for garbage, another account and another environment', async () => {
    const token = await mint('sandbox', key);
    expect(await introspect('sandbox', key, 'not-a-token')).toEqual({ active: false });
    expect(await introspect('sandbox', stranger, token)).toEqual({ active: false });
    const production = await mint('production', productionKey);
    expect(await introspect('sandbox', key, production)).toEqual({ active: false });
  });

  it('requires client authentication for introspection', async () => {
    const response = await postForm('sandbox', 'introspect', { token: 'x' });
    await expectOAuthError(response, 401, 'invalid_client');
  });

  it('revokes only tokens the caller owns, answering 200 either way', async () => {
    const token = await mint('sandbox', key, { scope: 'a' });
    const foreign = await postForm('sandbox', 'revoke', { token }, sibling);
    expect(foreign.status).toBe(200);
    expect(await introspect('sandbox', key, token)).toMatchObject({ active: true });

    const own = await postForm('sandbox', 'revoke', { token }, key);
    expect(own.status).toBe(200);
    expect(await introspect('sandbox', key, token)).toEqual({ active: false });
    expect((await postForm('sandbox', 'revoke', { token: 'unknown' }, key)).status).toBe(200);
  });

  it('does not hand out a revoked token from the issuance cache', async () => {
    const token = await mint('sandbox', sibling);
    await postForm('sandbox', 'revoke', { token }, sibling);
    expect(await mint('sandbox', sibling)).not.toBe(token);
  });

  it('describes the bearer session at tokeninfo, and rejects revoked or missing tokens', async () => {
    const token = await mint('sandbox', key);
    const info = await tokenInfo('sandbox', token);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ active: true, client_id: key.applicationId, env: 'sandbox', acct: key.accountId });

    await postForm('sandbox', 'revoke', { token }, key);
    const revoked = await tokenInfo('sandbox', token);
    await expectOAuthError(revoked, 401, 'invalid_token');
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer realm="sandbox", error="invalid_token"/);
    const otherEnvironment = await tokenInfo('production', await mint('sandbox', key));
    await expectOAuthError(otherEnvironment, 401, 'invalid_token');
  });
});
