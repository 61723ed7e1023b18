// private_key_jwt (RFC 7523, SPEC §8) against a running gateway: keys with public JWKs created and replaced
// through the admin API; openid-client's and oauth4webapi's own private_key_jwt support, unmodified, at the
// token, introspection and revocation endpoints; jose-made assertions for every refusal.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startGateway, type Gateway } from './support/gateway.js';
import { proofKey, signProof } from './support/dpop.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface JwtKey {
  id: string;
  applicationId: string;
  applicationSecret?: string;
  secretHint: string | null;
  authMethod: string;
  requireDpop: boolean;
  keys: Array<{ kid?: string; kty: string; thumbprint: string }>;
}

interface Signer {
  privateKey: CryptoKey;
  publicJwk: JWK;
  alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256';
  kid: string;
}

async function signer(alg: Signer['alg'], kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid }, alg, kid };
}

describe('private_key_jwt', () => {
  let gateway: Gateway;
  let accountId: string;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    // The refusals below all fail on one key: a budget above them (the limit has its own test).
    gateway = await startGateway({ env: { KEYMINT_KEYS_PER_ENVIRONMENT: '30', KEYMINT_AUTH_FAILURES_PER_CLIENT: '100', KEYMINT_AUTH_FAILURES_PER_IP: '1000' } });
    accountId = (await gateway.createAccount()).id;
    const issuer = gateway.issuer('sandbox');
    as = { issuer, token_endpoint: `${issuer}/oauth/token`, introspection_endpoint: `${issuer}/oauth/introspect`, revocation_endpoint: `${issuer}/oauth/revoke` };
  });
  afterAll(() => gateway.close());

  async function createJwtKey(jwks: unknown, extra: Record<string, unknown> = {}, environment = 'sandbox'): Promise<JwtKey> {
    const response = await gateway.admin('POST', `/accounts/${accountId}/keys`, {
      environment,
      name: `jwt ${crypto.randomUUID()}`,
      scopes: ['orders:read', 'orders:write'],
      authMethod: 'private_key_jwt',
      jwks,
      ...extra,
    });
    expect(response.status).toBe(201);
    return (await response.json()) as JwtKey;
  }

  /** A jose-made assertion for `key`, as RFC 7523 §3 shapes it unless told otherwise. */
  function assertion(key: JwtKey, by: Signer, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: key.applicationId, sub: key.applicationId, aud: as.issuer, iat: now, exp: now + 60, jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: by.alg, kid: by.kid, ...header } as { alg: string })
      .sign(by.privateKey);
  }

  function tokenRequest(params: Record<string, string>, headers: Record<string, string> = {}) {
    return gateway.fetch('/sandbox/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
  }
  const withAssertion = (value: string, extra: Record<string, string> = {}) =>
    tokenRequest({ client_assertion_type: ASSERTION_TYPE, client_assertion: value, ...extra });

  it.each(['ES256', 'EdDSA', 'RS256'] as const)(
    'creates a %s key with no secret and its thumbprint shown; openid-client and oauth4webapi mint, introspect and revoke with it',
    async (alg) => {
      const by = await signer(alg, `k-${alg}`);
      const key = await createJwtKey({ keys: [by.publicJwk] });
      expect(key).toMatchObject({ authMethod: 'private_key_jwt', secretHint: null, requireDpop: false });
      expect(key.applicationSecret).toBeUndefined();
      expect(key.keys).toEqual([expect.objectContaining({ kid: by.kid, thumbprint: await calculateJwkThumbprint(by.publicJwk) })]);

      const config = new client.Configuration(as, key.applicationId, undefined, client.PrivateKeyJwt({ key: by.privateKey, kid: by.kid }));
      client.allowInsecureRequests(config);
      const minted = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
      expect(minted).toMatchObject({ token_type: 'bearer', scope: 'orders:read' });

      const oauthClient: oauth.Client = { client_id: key.applicationId };
      const auth = oauth.PrivateKeyJwt({ key: by.privateKey, kid: by.kid });
      const options = { [oauth.allowInsecureRequests]: true };
      const introspected = await oauth.processIntrospectionResponse(
        as,
        oauthClient,
        await oauth.introspectionRequest(as, oauthClient, auth, minted.access_token, options),
      );
      expect(introspected).toMatchObject({ active: true, client_id: key.applicationId });
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, oauthClient, auth, minted.access_token, options));
      const after = await oauth.processIntrospectionResponse(
        as,
        oauthClient,
        await oauth.introspectionRequest(as, oauthClient, auth, minted.access_token, options),
      );
      expect(after.active).toBe(false);
    },
  );

  describe('refusals', () => {
    let by: Signer;
    let key: JwtKey;
    beforeAll(async () => {
      by = await signer('ES256', 'main');
      key = await createJwtKey({ keys: [by.publicJwk] });
    });

    async function expectInvalidClient(response: Response, description?: RegExp) {
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: string; error_description: string; access_token?: string };
      expect(body.error).toBe('invalid_client');
      if (description) expect(body.error_description).toMatch(description);
      expect(body.access_token).toBeUndefined();
      // Basic was not used: no Basic challenge.
      expect(response.headers.get('www-authenticate')).toBeNull();
    }

    it('refuses a replayed assertion, the second time only', async () => {
      const once = await assertion(key, by);
      expect((await withAssertion(once)).status).toBe(200);
      await expectInvalidClient(await withAssertion(once), /used before/);
    });

    it.each<[string, () => Promise<string>, RegExp]>([
      ['another audience', () => assertion(key, by, { aud: 'https://elsewhere.test' }), /aud/],
      ['an expired one', () => assertion(key, by, { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 }), /expired/],
      ['one living over 5 minutes', () => assertion(key, by, { exp: Math.floor(Date.now() / 1000) + 3600 }), /at most/],
      ['an unknown kid', () => assertion(key, by, {}, { kid: 'nobody' }), /signature/],
      ['a wrong algorithm for the key', async () => {
        const rsa = await signer('RS256', 'main');
        return assertion(key, rsa);
      }, /signed with/],
      ['a signature by another key with the same kid', async () => assertion(key, await signer('ES256', 'main')), /signature/],
      ['alg none', async () => {
        const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${encode({ alg: 'none' })}.${encode({ iss: key.applicationId, sub: key.applicationId, aud: as.issuer, exp: now + 60, jti: 'x' })}.`;
      }, /signed with/],
      ['a symmetric alg (HS256)', async () => {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ iss: key.applicationId, sub: key.applicationId, aud: as.issuer, exp: now + 60, jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode('s'.repeat(32)));
      }, /signed with/],
      ['no jti', () => assertion(key, by, { jti: undefined }), /jti/],
      ['iss other than sub', () => assertion(key, by, { iss: 'app_sbx_someone' }), /iss and sub/],
    ])('refuses %s with invalid_client and a description for the owner', async (_, make, description) => {
      await expectInvalidClient(await withAssertion(await make()), description);
    });

    it('refuses a 100 KB assertion before reading it: 413', async () => {
      const response = await withAssertion(await assertion(key, by, { padding: 'x'.repeat(100_000) }));
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    });

    it("refuses an assertion for another environment's key", async () => {
      const production = await createJwtKey({ keys: [by.publicJwk] }, {}, 'production');
      await expectInvalidClient(await withAssertion(await assertion(production, by)), /production/);
    });

    it('refuses a secret for a private_key_jwt key, and an assertion for a secret key, in the words of an unknown client', async () => {
      const secretKey = await gateway.createKey(accountId, { environment: 'sandbox', scopes: ['orders:read'] });
      const response = await tokenRequest({}, { authorization: basic(key.applicationId, secretKey.applicationSecret) });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error_description: string }).error_description).toBe('client authentication failed');
      const asSecretKey = { ...key, applicationId: secretKey.applicationId };
      await expectInvalidClient(await withAssertion(await assertion(asSecretKey, by)), /^client authentication failed$/);
    });

    it('refuses two methods at once, another assertion type, and a client_id that is not the sub', async () => {
      const value = await assertion(key, by);
      const both = await tokenRequest({ client_assertion_type: ASSERTION_TYPE, client_assertion: value }, { authorization: basic(key.applicationId, 'x') });
      expect(both.status).toBe(400);
      const otherType = await tokenRequest({ client_assertion_type: 'urn:example:saml', client_assertion: await assertion(key, by) });
      expect(otherType.status).toBe(400);
      expect(((await otherType.json()) as { error_description: string }).error_description).toMatch(/client_assertion_type/);
      await expectInvalidClient(await withAssertion(await assertion(key, by), { client_id: 'app_sbx_other' }));
    });
  });

  it('counts assertion failures in the failure limit: 429 after the limit, for a valid assertion too', async () => {
    const limited = await startGateway({ env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: '3' } });
    try {
      const account = (await limited.createAccount()).id;
      const by = await signer('ES256', 'k');
      const created = await limited.admin('POST', `/accounts/${account}/keys`, {
        environment: 'sandbox',
        name: 'limited',
        authMethod: 'private_key_jwt',
        jwks: by.publicJwk,
      });
      const key = (await created.json()) as JwtKey;
      const send = async (value: string) =>
        limited.fetch('/sandbox/oauth/token', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: value }),
        });
      const now = Math.floor(Date.now() / 1000);
      const make = (aud: string) =>
        new SignJWT({ iss: key.applicationId, sub: key.applicationId, aud, exp: now + 60, jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'ES256', kid: 'k' })
          .sign(by.privateKey);
      for (let i = 0; i < 3; i++) expect((await send(await make('https://wrong.test'))).status).toBe(401);
      const refused = await send(await make(limited.issuer('sandbox')));
      expect(refused.status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('replaces the keys with PATCH: the old key stops, the new one works; a secret key has no jwks to replace', async () => {
    const old = await signer('ES256', 'old');
    const key = await createJwtKey({ keys: [old.publicJwk] });
    const next = await signer('EdDSA', 'new');
    const patched = await gateway.admin('PATCH', `/accounts/${accountId}/keys/${key.id}`, { jwks: { keys: [next.publicJwk] } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as JwtKey).keys).toEqual([expect.objectContaining({ kid: 'new', thumbprint: await calculateJwkThumbprint(next.publicJwk) })]);
    expect((await withAssertion(await assertion(key, old))).status).toBe(401);
    expect((await withAssertion(await assertion(key, next))).status).toBe(200);

    const secretKey = await gateway.createKey(accountId, { environment: 'sandbox' });
    const refused = await gateway.admin('PATCH', `/accounts/${accountId}/keys/${secretKey.id}`, { jwks: { keys: [next.publicJwk] } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'invalid_request', issues: [expect.objectContaining({ path: 'jwks' })] });
  });

  it.each<[string, unknown]>([
    ['a private key', { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' }] }],
    ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }],
    ['six keys', { keys: Array.from({ length: 6 }, (_, i) => ({ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32, i + 1).toString('base64url') })) }],
  ])('refuses to create a key with %s', async (_, jwks) => {
    const response = await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: `bad ${crypto.randomUUID()}`, authMethod: 'private_key_jwt', jwks });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('invalid_request');
  });

  it('refuses jwks without authMethod private_key_jwt, and private_key_jwt without jwks', async () => {
    const by = await signer('ES256', 'k');
    const withoutMethod = await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'x1', jwks: { keys: [by.publicJwk] } });
    expect(withoutMethod.status).toBe(400);
    const withoutKeys = await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'x2', authMethod: 'private_key_jwt' });
    expect(withoutKeys.status).toBe(400);
  });

  it('regenerates a private_key_jwt key as a new application ID only, still without a secret', async () => {
    const by = await signer('ES256', 'k');
    const key = await createJwtKey({ keys: [by.publicJwk] });
    const response = await gateway.admin('POST', `/accounts/${accountId}/keys/${key.id}/regenerate`);
    expect(response.status).toBe(200);
    const regenerated = (await response.json()) as JwtKey;
    expect(regenerated.applicationId).not.toBe(key.applicationId);
    expect(regenerated.applicationSecret).toBeUndefined();
    expect((await withAssertion(await assertion(key, by))).status).toBe(401);
    expect((await withAssertion(await assertion(regenerated, by))).status).toBe(200);
  });

  it('refuses a regenerate with an overlap for a private_key_jwt key (no secret to keep), changing nothing', async () => {
    const by = await signer('ES256', 'k');
    const key = await createJwtKey({ keys: [by.publicJwk] });
    const response = await gateway.admin('POST', `/accounts/${accountId}/keys/${key.id}/regenerate`, { overlapSeconds: 3600 });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_request', issues: [{ path: 'overlapSeconds' }] });
    expect((await withAssertion(await assertion(key, by))).status).toBe(200);
  });

  it('a requireDpop key never gets a bearer token: 400 invalid_dpop_proof without a proof, a DPoP token with one', async () => {
    const by = await signer('ES256', 'k');
    const key = await createJwtKey({ keys: [by.publicJwk] }, { requireDpop: true });
    expect(key.requireDpop).toBe(true);
    const without = await withAssertion(await assertion(key, by));
    expect(without.status).toBe(400);
    expect(((await without.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    const holder = await proofKey('ES256');
    const proven = await tokenRequest(
      { client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(key, by) },
      { dpop: await signProof(holder, { htm: 'POST', htu: as.token_endpoint! }) },
    );
    expect(proven.status).toBe(200);
    expect(((await proven.json()) as { token_type: string }).token_type).toBe('DPoP');
    // And PATCH can turn it off again.
    const patched = await gateway.admin('PATCH', `/accounts/${accountId}/keys/${key.id}`, { requireDpop: false });
    expect(((await patched.json()) as JwtKey).requireDpop).toBe(false);
    expect((await withAssertion(await assertion(key, by))).status).toBe(200);
  });
});
