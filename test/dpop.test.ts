// DPoP (RFC 9449, SPEC §8) against a running gateway behind a public URL: oauth4webapi's and openid-client's own
// DPoP support, unmodified, at the token endpoint, tokeninfo and the proxy (both serving paths); jose for the
// proofs no client library would send.
import { decodeJwt, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { sessionAuth, type SessionAuthEnv } from '../src/verify.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_PATHS, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { behindPublicUrl, proofKey, signProof, symmetricProof, unsecuredProof, type ProofKey, type ProofOptions } from './support/dpop.js';
import { startUpstream, type Echo } from './support/upstream.js';

// The gateway's public URL (KEYMINT_PUBLIC_URL), as clients address it; the test fetch forwards to loopback.
const PUBLIC = 'https://keymint.test';
const ISSUER = `${PUBLIC}/sandbox`;
const TOKEN_URL = `${ISSUER}/oauth/token`;
const TOKENINFO_URL = `${ISSUER}/oauth/tokeninfo`;

interface Refusal {
  status: number;
  challenge: string;
  body: { error: string; error_description: string };
}

async function refusal(response: Response): Promise<Refusal> {
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate') ?? '',
    body: (await response.json()) as Refusal['body'],
  };
}

/** A gateway at PUBLIC (on loopback), with an upstream, the clients' fetch, and a key to mint with. */
async function startPublicGateway(options: { env?: Record<string, string>; server?: 'node' | 'fetch' } = {}) {
  const upstream = await startUpstream();
  const gateway = await startGateway({
    ...(options.server && { server: options.server }),
    env: {
      KEYMINT_PUBLIC_URL: PUBLIC,
      KEYMINT_UPSTREAM_SANDBOX: upstream.url,
      KEYMINT_UPSTREAM_PRODUCTION: upstream.url,
      KEYMINT_KEYS_PER_ENVIRONMENT: '20',
      ...options.env,
    },
  });
  const publicFetch = behindPublicUrl(PUBLIC, gateway.url);
  const account = await gateway.createAccount();
  const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write'] });
  const as: oauth.AuthorizationServer = {
    issuer: ISSUER,
    token_endpoint: TOKEN_URL,
    introspection_endpoint: `${ISSUER}/oauth/introspect`,
  };
  return { upstream, gateway, publicFetch, account, key, as };
}

/** A DPoP-bound token from oauth4webapi's own client-credentials request, and the handle that proved it. */
async function mintBound(
  setup: { as: oauth.AuthorizationServer; publicFetch: ReturnType<typeof behindPublicUrl> },
  key: ApiKeyWithSecret,
  pair: CryptoKeyPair,
  scope = 'orders:read',
  resource?: string,
) {
  const oauthClient: oauth.Client = { client_id: key.applicationId };
  const dpop = oauth.DPoP(oauthClient, pair);
  const response = await oauth.clientCredentialsGrantRequest(
    setup.as,
    oauthClient,
    oauth.ClientSecretBasic(key.applicationSecret),
    { scope, ...(resource && { resource }) },
    { DPoP: dpop, [oauth.customFetch]: setup.publicFetch },
  );
  const result = await oauth.processClientCredentialsResponse(setup.as, oauthClient, response);
  return { token: result.access_token, tokenType: result.token_type, dpop, response };
}

/** A raw token request with client_secret_basic and the given DPoP header(s). */
function tokenRequest(gateway: Gateway, key: ApiKeyWithSecret, dpop: string | string[] | undefined, scope = 'orders:read') {
  const headers = new Headers({
    authorization: `Basic ${btoa(`${key.applicationId}:${key.applicationSecret}`)}`,
    'content-type': 'application/x-www-form-urlencoded',
  });
  for (const value of dpop === undefined ? [] : [dpop].flat()) headers.append('DPoP', value);
  return gateway.fetch('/sandbox/oauth/token', { method: 'POST', headers, body: new URLSearchParams({ grant_type: 'client_credentials', scope }) });
}

describe('DPoP at the token endpoint', () => {
  let setup: Awaited<ReturnType<typeof startPublicGateway>>;
  let proof: ProofKey;
  beforeAll(async () => {
    setup = await startPublicGateway();
    proof = await proofKey('ES256');
  });
  afterAll(async () => {
    await setup.gateway.close();
    await setup.upstream.close();
  });

  it.each(['ES256', 'Ed25519', 'RS256', 'PS256'] as const)(
    "issues oauth4webapi's %s DPoP handle a token typed DPoP whose cnf.jkt is the key's thumbprint",
    async (alg) => {
      const pair = await oauth.generateKeyPair(alg);
      const { token, tokenType, dpop, response } = await mintBound(setup, setup.key, pair);
      expect(tokenType).toBe('dpop');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(decodeJwt(token)).toMatchObject({ cnf: { jkt: await dpop.calculateThumbprint() }, iss: ISSUER, client_id: setup.key.applicationId });
    },
  );

  it('shows cnf and token_type DPoP on introspection and tokeninfo; tokeninfo wants the DPoP scheme and a proof', async () => {
    const pair = await oauth.generateKeyPair('ES256');
    const { token, dpop } = await mintBound(setup, setup.key, pair);
    const jkt = await dpop.calculateThumbprint();
    const oauthClient: oauth.Client = { client_id: setup.key.applicationId };
    const introspected = await oauth.processIntrospectionResponse(
      setup.as,
      oauthClient,
      await oauth.introspectionRequest(setup.as, oauthClient, oauth.ClientSecretPost(setup.key.applicationSecret), token, {
        [oauth.customFetch]: setup.publicFetch,
      }),
    );
    expect(introspected).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });

    const info = await oauth.protectedResourceRequest(token, 'GET', new URL(TOKENINFO_URL), new Headers(), null, {
      DPoP: dpop,
      [oauth.customFetch]: setup.publicFetch,
    });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt }, acct: setup.account.id });

    const asBearer = await refusal(await setup.gateway.fetch('/sandbox/oauth/tokeninfo', { headers: { authorization: `Bearer ${token}` } }));
    expect(asBearer.status).toBe(401);
    expect(asBearer.challenge).toMatch(/^DPoP realm="sandbox", error="invalid_token", error_description="[^"]*DPoP-bound/);
    const noProof = await refusal(await setup.gateway.fetch('/sandbox/oauth/tokeninfo', { headers: { authorization: `DPoP ${token}` } }));
    expect(noProof).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof' } });
    expect(noProof.challenge).toMatch(/^DPoP realm="sandbox", error="invalid_dpop_proof".*algs="ES256 EdDSA Ed25519 RS256 PS256"$/);
  });

  it('keys the issuance cache by thumbprint: bearer and DPoP requests, and two DPoP keys, never share a token', async () => {
    const bearer = await setup.gateway.mint('sandbox', setup.key, 'orders:write');
    const first = await proofKey('ES256');
    const second = await proofKey('ES256');
    const mintWith = async (key: ProofKey) => {
      const response = await tokenRequest(setup.gateway, setup.key, await signProof(key, { htm: 'POST', htu: TOKEN_URL }), 'orders:write');
      expect(response.status).toBe(200);
      return (await response.json()) as { access_token: string; token_type: string };
    };
    const boundFirst = await mintWith(first);
    expect(boundFirst.token_type).toBe('DPoP');
    expect(boundFirst.access_token).not.toBe(bearer);
    // The same key again: the cached token bound to it (still a fresh proof for every request).
    expect((await mintWith(first)).access_token).toBe(boundFirst.access_token);
    const boundSecond = await mintWith(second);
    expect(boundSecond.access_token).not.toBe(boundFirst.access_token);
    expect(decodeJwt(boundSecond.access_token).cnf).toEqual({ jkt: second.jkt });
    // And a bearer request still gets the bearer token, unbound.
    const again = await setup.gateway.mint('sandbox', setup.key, 'orders:write');
    expect(again).toBe(bearer);
    expect(decodeJwt(again).cnf).toBeUndefined();
  });

  const tokenProof = (options: Partial<Parameters<typeof signProof>[1]> = {}) => signProof(proof, { htm: 'POST', htu: TOKEN_URL, ...options });
  const hostile: [string, () => Promise<string | string[]>][] = [
    ['signed with a private key other than the one in its jwk header', async () => signProof({ ...(await proofKey('ES256')), publicJwk: proof.publicJwk }, { htm: 'POST', htu: TOKEN_URL })],
    ['alg none', async () => unsecuredProof(proof, { htm: 'POST', htu: TOKEN_URL })],
    ['a symmetric alg (HS256 over an oct jwk)', () => symmetricProof({ htm: 'POST', htu: TOKEN_URL })],
    ['a private key in its jwk header', async () => tokenProof({ header: { jwk: await exportJWK(proof.privateKey) } })],
    ['typ JWT', () => tokenProof({ header: { typ: 'JWT' } })],
    ['htm GET', () => tokenProof({ htm: 'GET' })],
    ["htu the gateway's internal URL rather than its public one", () => tokenProof({ htu: `${setup.gateway.url}/sandbox/oauth/token` })],
    ['htu another endpoint', () => tokenProof({ htu: `${ISSUER}/oauth/introspect` })],
    ['an iat two minutes old', () => tokenProof({ iat: Math.floor(Date.now() / 1000) - 120 })],
    ['an iat two minutes ahead', () => tokenProof({ iat: Math.floor(Date.now() / 1000) + 120 })],
    ['no jti', () => tokenProof({ claims: { jti: undefined } })],
    ['two DPoP headers', async () => [await tokenProof(), await tokenProof()]],
    ['a proof over 8 KiB', () => tokenProof({ claims: { padding: 'x'.repeat(9_000) } })],
    [
      'an RSA key of 1024 bits',
      async () => {
        // jose refuses to sign with a key this small; WebCrypto does not.
        const algorithm = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
        const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
        const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const input = `${encode({ typ: 'dpop+jwt', alg: 'RS256', jwk: await exportJWK(pair.publicKey) })}.${encode({
          htm: 'POST',
          htu: TOKEN_URL,
          iat: Math.floor(Date.now() / 1000),
          jti: crypto.randomUUID(),
        })}`;
        const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, new TextEncoder().encode(input));
        return `${input}.${Buffer.from(signature).toString('base64url')}`;
      },
    ],
  ];

  it.each(hostile)('refuses a proof with %s: 400 invalid_dpop_proof and no token', async (_, make) => {
    const response = await tokenRequest(setup.gateway, setup.key, await make());
    const answer = await refusal(response);
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    expect(answer.body.error_description).toMatch(/DPoP proof/);
    expect(JSON.stringify(answer.body)).not.toContain('access_token');
  });

  it('refuses a replayed proof, the second time only', async () => {
    const once = await tokenProof();
    expect((await tokenRequest(setup.gateway, setup.key, once)).status).toBe(200);
    const replayed = await refusal(await tokenRequest(setup.gateway, setup.key, once));
    expect(replayed).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: expect.stringMatching(/used before/) } });
  });

  it("leaves a 100 KB DPoP header to Node's header limit: 431, no token, and the gateway goes on", async () => {
    const response = await tokenRequest(setup.gateway, setup.key, await tokenProof({ claims: { padding: 'x'.repeat(100_000) } }));
    expect(response.status).toBe(431);
    expect(await response.text()).not.toContain('access_token');
    expect((await tokenRequest(setup.gateway, setup.key, await tokenProof())).status).toBe(200);
  });

  it('checks the client before the proof: a wrong secret is invalid_client and spends no jti', async () => {
    const once = await tokenProof();
    const wrong = { ...setup.key, applicationSecret: setup.key.applicationSecret.replace(/.$/, (last) => (last === 'x' ? 'y' : 'x')) };
    expect((await refusal(await tokenRequest(setup.gateway, wrong, once))).body.error).toBe('invalid_client');
    expect((await tokenRequest(setup.gateway, setup.key, once)).status).toBe(200);
  });
});

describe.each(SERVER_PATHS)('DPoP-bound tokens at the proxy, %s', (_path, server) => {
  let setup: Awaited<ReturnType<typeof startPublicGateway>>;
  let proof: ProofKey;
  let token: string;
  const API = `${PUBLIC}/sandbox/api/orders/42`;

  beforeAll(async () => {
    setup = await startPublicGateway({ server });
    proof = await proofKey('ES256');
    ({ token } = await mintBound(setup, setup.key, { privateKey: proof.privateKey, publicKey: proof.publicKey }));
  });
  afterAll(async () => {
    await setup.gateway.close();
    await setup.upstream.close();
  });

  const call = (headers: Record<string, string>, path = '/sandbox/api/orders/42', method = 'GET') =>
    setup.gateway.fetch(path, { method, headers });
  const apiProof = (options: Partial<Parameters<typeof signProof>[1]> = {}) =>
    signProof(proof, { htm: 'GET', htu: API, accessToken: token, ...options });

  async function expectRefused(response: Response, error: 'invalid_dpop_proof' | 'invalid_token') {
    const seen = setup.upstream.seen.length;
    const answer = await refusal(response);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe(error);
    expect(answer.challenge).toMatch(new RegExp(`^DPoP realm="sandbox", error="${error}"`));
    expect(setup.upstream.seen.length).toBe(seen);
    return answer;
  }

  it("passes oauth4webapi's DPoP requests, GET and POST, with the query; the upstream sees identity, not the proof", async () => {
    const dpop = oauth.DPoP({}, { privateKey: proof.privateKey, publicKey: proof.publicKey });
    const options = { DPoP: dpop, [oauth.customFetch]: setup.publicFetch };
    const got = await oauth.protectedResourceRequest(token, 'GET', new URL(`${API}?expand=lines`), new Headers(), null, options);
    expect(got.status).toBe(200);
    const echo = (await got.json()) as Echo;
    expect(echo.url).toBe('/orders/42?expand=lines');
    expect(echo.headers).toMatchObject({ 'x-keymint-client-id': setup.key.applicationId, 'x-keymint-scope': 'orders:read' });
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers.dpop).toBeUndefined();

    const posted = await oauth.protectedResourceRequest(token, 'POST', new URL(API), new Headers({ 'content-type': 'text/plain' }), 'hello', options);
    expect(posted.status).toBe(200);
    expect(((await posted.json()) as Echo).body.text).toBe('hello');
  });

  it('refuses Bearer use of a bound token', async () => {
    const answer = await expectRefused(await call({ authorization: `Bearer ${token}` }), 'invalid_token');
    expect(answer.body.error_description).toMatch(/DPoP-bound/);
  });

  it('refuses the DPoP scheme without a proof, and a reused proof', async () => {
    await expectRefused(await call({ authorization: `DPoP ${token}` }), 'invalid_dpop_proof');
    const once = await apiProof();
    expect((await call({ authorization: `DPoP ${token}`, dpop: once })).status).toBe(200);
    const replayed = await expectRefused(await call({ authorization: `DPoP ${token}`, dpop: once }), 'invalid_dpop_proof');
    expect(replayed.body.error_description).toMatch(/used before/);
  });

  it.each<[string, Partial<ProofOptions>]>([
    ['for another method', { htm: 'POST' }],
    ['for another path', { htu: `${PUBLIC}/sandbox/api/orders/43` }],
    ["for the gateway's internal URL instead of its public one", { htu: 'internal' }],
    ['with an iat two minutes old', { iat: Math.floor(Date.now() / 1000) - 120 }],
    ['with the ath of another token', { accessToken: 'another.access.token' }],
    ['with no ath', { claims: { ath: undefined } }],
  ])('refuses a proof %s', async (_, options) => {
    const htu = options.htu === 'internal' ? `${setup.gateway.url}/sandbox/api/orders/42` : options.htu;
    const answer = await expectRefused(await call({ authorization: `DPoP ${token}`, dpop: await apiProof({ ...options, ...(htu && { htu }) }) }), 'invalid_dpop_proof');
    expect(answer.body.error_description).toMatch(/DPoP proof/);
  });

  it('refuses a valid proof by a key other than the one the token is bound to', async () => {
    const other = await proofKey('ES256');
    const answer = await expectRefused(
      await call({ authorization: `DPoP ${token}`, dpop: await signProof(other, { htm: 'GET', htu: API, accessToken: token }) }),
      'invalid_dpop_proof',
    );
    expect(answer.body.error_description).toMatch(/bound to/);
  });

  it('refuses an unbound token sent with the DPoP scheme', async () => {
    const bearer = await setup.gateway.mint('sandbox', setup.key);
    await expectRefused(await call({ authorization: `DPoP ${bearer}`, dpop: await signProof(proof, { htm: 'GET', htu: API, accessToken: bearer }) }), 'invalid_token');
    // As a bearer token it passes, a DPoP header beside it ignored (RFC 9449 §7.2).
    expect((await call({ authorization: `Bearer ${bearer}`, dpop: await apiProof() })).status).toBe(200);
  });

  it("refuses a sandbox DPoP token replayed on production, with a proof made for production's URL", async () => {
    const productionUrl = `${PUBLIC}/production/api/orders/42`;
    const response = await call(
      { authorization: `DPoP ${token}`, dpop: await signProof(proof, { htm: 'GET', htu: productionUrl, accessToken: token }) },
      '/production/api/orders/42',
    );
    const answer = await refusal(response);
    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(answer.challenge).toMatch(/^DPoP realm="production", error="invalid_token"/);
  });
});

describe.each(SERVER_PATHS)("the proxy's 401 and 403 for a DPoP caller are DPoP challenges (RFC 9449 §7.1), %s", (_path, server) => {
  const ORDERS = 'https://orders.example';
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let gateway: Gateway;
  let setup: { as: oauth.AuthorizationServer; publicFetch: ReturnType<typeof behindPublicUrl> };
  let key: ApiKeyWithSecret;
  let proof: ProofKey;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      server,
      env: {
        KEYMINT_PUBLIC_URL: PUBLIC,
        KEYMINT_SERVICES_SANDBOX: JSON.stringify([
          { name: 'orders', path: '/orders', upstream: upstream.url, audience: ORDERS, rules: [{ path: '/refunds', scopes: ['orders:refund'] }] },
          { name: 'rest', path: '/', upstream: upstream.url },
        ]),
      },
    });
    setup = {
      as: { issuer: ISSUER, token_endpoint: TOKEN_URL },
      publicFetch: behindPublicUrl(PUBLIC, gateway.url),
    };
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:refund'] });
    proof = await proofKey('ES256');
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  async function call(token: string, path: string, scheme: 'DPoP' | 'Bearer') {
    const headers: Record<string, string> = { authorization: `${scheme} ${token}` };
    if (scheme === 'DPoP') headers.dpop = await signProof(proof, { htm: 'GET', htu: `${PUBLIC}${path}`, accessToken: token });
    return refusal(await gateway.fetch(path, { headers }));
  }

  it('answers a scope the route rule needs with 403 and a DPoP challenge naming the scope and the algorithms', async () => {
    const { token } = await mintBound(setup, key, proof, 'orders:read');
    const answer = await call(token, '/sandbox/api/orders/refunds', 'DPoP');
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('insufficient_scope');
    expect(answer.challenge).toMatch(/^DPoP realm="sandbox", error="insufficient_scope", .*scope="orders:refund", algs="[^"]*ES256/);
    // A bearer caller still gets the Bearer challenge.
    const bearer = await gateway.mint('sandbox', key, 'orders:read');
    const bearerAnswer = await call(bearer, '/sandbox/api/orders/refunds', 'Bearer');
    expect(bearerAnswer.status).toBe(403);
    expect(bearerAnswer.challenge).toMatch(/^Bearer realm="sandbox", error="insufficient_scope"/);
  });

  it("answers a token for another service's audience with 401 and a DPoP challenge", async () => {
    const { token } = await mintBound(setup, key, proof, 'orders:read', ORDERS);
    expect((await gateway.fetch('/sandbox/api/orders/1', {
      headers: { authorization: `DPoP ${token}`, dpop: await signProof(proof, { htm: 'GET', htu: `${PUBLIC}/sandbox/api/orders/1`, accessToken: token }) },
    })).status).toBe(200);
    const answer = await call(token, '/sandbox/api/billing/1', 'DPoP');
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
    expect(answer.challenge).toMatch(/^DPoP realm="sandbox", error="invalid_token", .*algs="/);
  });
});

describe('DPoP-bound tokens at a service using sessionAuth', () => {
  const SERVICE = 'https://orders.test';
  let setup: Awaited<ReturnType<typeof startPublicGateway>>;
  let service: ServerType;
  let serviceFetch: ReturnType<typeof behindPublicUrl>;
  let proof: ProofKey;
  let token: string;

  beforeAll(async () => {
    setup = await startPublicGateway();
    const app = new Hono<SessionAuthEnv>();
    const jwksUrl = `${setup.gateway.url}/sandbox/.well-known/jwks.json`;
    app.get('/orders/:id', sessionAuth({ issuer: ISSUER, jwksUrl, publicUrl: SERVICE }), (c) => c.json(c.get('keymintSession')));
    // Without publicUrl: proofs must name the URL the request arrived at.
    app.get('/direct/orders', sessionAuth({ issuer: ISSUER, jwksUrl }), (c) => c.json(c.get('keymintSession')));
    app.get('/refunds', sessionAuth({ issuer: ISSUER, jwksUrl, publicUrl: SERVICE, requiredScopes: ['orders:refund'] }), (c) => c.json({}));
    const url = await new Promise<string>((resolve) => {
      service = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`http://127.0.0.1:${info.port}`));
    });
    serviceFetch = behindPublicUrl(SERVICE, url);
    proof = await proofKey('Ed25519' as 'EdDSA');
    ({ token } = await mintBound(setup, setup.key, { privateKey: proof.privateKey, publicKey: proof.publicKey }));
  });
  afterAll(async () => {
    await new Promise((resolve) => service.close(resolve));
    await setup.gateway.close();
    await setup.upstream.close();
  });

  const get = async (path: string, headers: Record<string, string>) => serviceFetch(`${SERVICE}${path}`, { headers });

  it("passes oauth4webapi's DPoP requests, each with its own proof (the verified-token memo does not skip the proof)", async () => {
    const dpop = oauth.DPoP({}, { privateKey: proof.privateKey, publicKey: proof.publicKey });
    for (let call = 0; call < 2; call++) {
      const response = await oauth.protectedResourceRequest(token, 'GET', new URL(`${SERVICE}/orders/7`), new Headers(), null, {
        DPoP: dpop,
        [oauth.customFetch]: serviceFetch,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ client_id: setup.key.applicationId, cnf: { jkt: proof.jkt } });
    }
    const answer = await refusal(await get('/orders/7', { authorization: `DPoP ${token}` }));
    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof' } });
  });

  it('refuses Bearer use, a replayed proof, and a proof for another URL', async () => {
    const bearer = await refusal(await get('/orders/7', { authorization: `Bearer ${token}` }));
    expect(bearer.status).toBe(401);
    expect(bearer.challenge).toMatch(/^DPoP realm="sandbox", error="invalid_token"/);

    const once = await signProof(proof, { htm: 'GET', htu: `${SERVICE}/orders/7`, accessToken: token });
    expect((await get('/orders/7', { authorization: `DPoP ${token}`, dpop: once })).status).toBe(200);
    expect((await refusal(await get('/orders/7', { authorization: `DPoP ${token}`, dpop: once }))).body).toMatchObject({
      error: 'invalid_dpop_proof',
      error_description: expect.stringMatching(/used before/),
    });
    const elsewhere = await signProof(proof, { htm: 'GET', htu: `${SERVICE}/orders/8`, accessToken: token });
    expect((await refusal(await get('/orders/7', { authorization: `DPoP ${token}`, dpop: elsewhere }))).body.error).toBe('invalid_dpop_proof');
  });

  it('checks htu against the URL the request arrived at when no publicUrl is given', async () => {
    const arrived = (await serviceFetch(`${SERVICE}/direct/orders`)).url;
    const at = new URL(arrived).origin;
    const good = await signProof(proof, { htm: 'GET', htu: `${at}/direct/orders`, accessToken: token });
    expect((await get('/direct/orders', { authorization: `DPoP ${token}`, dpop: good })).status).toBe(200);
    const publicOne = await signProof(proof, { htm: 'GET', htu: `${SERVICE}/direct/orders`, accessToken: token });
    expect((await refusal(await get('/direct/orders', { authorization: `DPoP ${token}`, dpop: publicOne }))).status).toBe(401);
  });

  it('answers a missing scope with 403 and a DPoP challenge (RFC 9449 §7.1)', async () => {
    const dpop = await signProof(proof, { htm: 'GET', htu: `${SERVICE}/refunds`, accessToken: token });
    const answer = await refusal(await get('/refunds', { authorization: `DPoP ${token}`, dpop }));
    expect(answer).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    expect(answer.challenge).toMatch(/^DPoP realm="sandbox", error="insufficient_scope", .*scope="orders:refund", algs="/);
  });

  it('still passes an unbound token as Bearer', async () => {
    const bearer = await setup.gateway.mint('sandbox', setup.key);
    expect((await get('/orders/7', { authorization: `Bearer ${bearer}` })).status).toBe(200);
  });
});

describe('DPoP-Nonce (KEYMINT_DPOP_NONCES=true)', () => {
  let setup: Awaited<ReturnType<typeof startPublicGateway>>;
  beforeAll(async () => {
    setup = await startPublicGateway({ env: { KEYMINT_DPOP_NONCES: 'true' } });
  });
  afterAll(async () => {
    await setup.gateway.close();
    await setup.upstream.close();
  });

  it('makes openid-client retry with the nonce it is given, by itself, and then issues the token', async () => {
    const statuses: number[] = [];
    const config = new client.Configuration(setup.as, setup.key.applicationId, undefined, client.ClientSecretBasic(setup.key.applicationSecret));
    config[client.customFetch] = async (url: string, init: Parameters<typeof setup.publicFetch>[1]) => {
      const response = await setup.publicFetch(url, init);
      statuses.push(response.status);
      return response;
    };
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const result = await client.clientCredentialsGrant(config, { scope: 'orders:read' }, { DPoP: dpop });
    expect(result.token_type).toBe('dpop');
    expect(statuses).toEqual([400, 200]);
  });

  it('answers a proof without a nonce use_dpop_nonce with a DPoP-Nonce, at the token endpoint and at the proxy', async () => {
    const proof = await proofKey('ES256');
    const first = await tokenRequest(setup.gateway, setup.key, await signProof(proof, { htm: 'POST', htu: TOKEN_URL }));
    const nonce = first.headers.get('dpop-nonce');
    expect(await refusal(first)).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const minted = await tokenRequest(setup.gateway, setup.key, await signProof(proof, { htm: 'POST', htu: TOKEN_URL, nonce: nonce! }));
    expect(minted.status).toBe(200);
    const { access_token: token } = (await minted.json()) as { access_token: string };

    const api = `${PUBLIC}/sandbox/api/orders`;
    const without = await setup.gateway.fetch('/sandbox/api/orders', {
      headers: { authorization: `DPoP ${token}`, dpop: await signProof(proof, { htm: 'GET', htu: api, accessToken: token }) },
    });
    expect(without.headers.get('dpop-nonce')).toMatch(/^[0-9a-z]+\./);
    const answer = await refusal(without);
    expect(answer).toMatchObject({ status: 401, body: { error: 'use_dpop_nonce' } });
    expect(answer.challenge).toMatch(/^DPoP realm="sandbox", error="use_dpop_nonce"/);
    const forged = await setup.gateway.fetch('/sandbox/api/orders', {
      headers: { authorization: `DPoP ${token}`, dpop: await signProof(proof, { htm: 'GET', htu: api, accessToken: token, nonce: `${nonce!.split('.')[0]}.${'A'.repeat(22)}` }) },
    });
    expect((await refusal(forged)).body.error).toBe('use_dpop_nonce');
    const withNonce = await setup.gateway.fetch('/sandbox/api/orders', {
      headers: { authorization: `DPoP ${token}`, dpop: await signProof(proof, { htm: 'GET', htu: api, accessToken: token, nonce: nonce! }) },
    });
    expect(withNonce.status).toBe(200);
  });
});
