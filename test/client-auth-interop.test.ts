// Outside clients' own private_key_jwt assertions and DPoP proofs (oauth4webapi, openid-client), captured from
// their requests to a fake issuer and fed to keymint's verifiers: what the libraries send unmodified must pass.
import { exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE, verifyClientAssertion } from '../src/core/client-assertion.js';
import { readClientJwks, type ClientJwks } from '../src/core/client-jwks.js';
import { createDpopNonces } from '../src/core/dpop-nonce.js';
import { checkDpopBinding, verifyDpopProof, type DpopProofCheck } from '../src/core/dpop.js';
import type { ReplayGuard } from '../src/core/replay.js';
import { recordingReplay } from '../src/core/testing/recording-replay.js';
import { ACCESS_TOKEN_TYPE, decideTokenExchange, TOKEN_EXCHANGE_GRANT_TYPE } from '../src/core/token-exchange.js';
import { webCrypto } from '../src/core/web-crypto.js';

const ISSUER = 'https://keymint.test/sandbox';
const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;
const API_URL = `${ISSUER}/api/orders/42?expand=lines`;
const CLIENT_ID = 'app_sbx_4Jr9c2Hq8LmNpQ1sT5vW7xYz';
const as: oauth.AuthorizationServer = { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT };
const oauthClient: oauth.Client = { client_id: CLIENT_ID };

interface Captured {
  method: string;
  url: string;
  headers: Headers;
  body: URLSearchParams;
}

/** A stand-in for keymint's token endpoint and a resource: records the request and answers as they would. */
function fakeServer(answer: (request: Captured) => Response = () => tokenResponse()) {
  const requests: Captured[] = [];
  const fetch = async (url: string, init: { method?: string; headers?: HeadersInit; body?: unknown }) => {
    const request: Captured = {
      method: init.method ?? 'GET',
      url,
      headers: new Headers(init.headers),
      body: new URLSearchParams(typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body : ''),
    };
    requests.push(request);
    return answer(request);
  };
  return { requests, fetch };
}

function tokenResponse(tokenType = 'DPoP'): Response {
  return Response.json({ access_token: 'eyJ0eXAiOiJhdCtqd3QifQ.e30.c2ln', token_type: tokenType, expires_in: 3600, scope: 'orders:read' });
}

async function registeredJwks(publicKey: CryptoKey, kid?: string): Promise<ClientJwks> {
  const read = await readClientJwks({ ...(await exportJWK(publicKey)), ...(kid ? { kid } : {}) });
  if (!read.ok) throw new Error(read.detail);
  return read.value.jwks;
}

const ALGORITHMS = ['ES256', 'Ed25519', 'RS256', 'PS256'] as const;
const keyPairs = Object.fromEntries(
  await Promise.all(ALGORITHMS.map(async (alg) => [alg, await oauth.generateKeyPair(alg, { extractable: true })] as const)),
) as Record<(typeof ALGORITHMS)[number], CryptoKeyPair>;

describe('oauth4webapi: PrivateKeyJwt and DPoP, unmodified', () => {
  let assertionReplay: ReplayGuard;
  let proofReplay: ReplayGuard;
  beforeEach(() => {
    assertionReplay = recordingReplay();
    proofReplay = recordingReplay();
  });

  it.each(ALGORITHMS)('a client-credentials request signed with %s passes verifyClientAssertion and verifyDpopProof', async (alg) => {
    const pair = keyPairs[alg];
    const server = fakeServer();
    const dpop = oauth.DPoP(oauthClient, keyPairs.ES256);
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      oauthClient,
      oauth.PrivateKeyJwt({ key: pair.privateKey, kid: `${alg}-key` }),
      { scope: 'orders:read' },
      { DPoP: dpop, [oauth.customFetch]: server.fetch },
    );
    await oauth.processClientCredentialsResponse(as, oauthClient, response);

    const [request] = server.requests;
    expect(request!.body.get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE);
    const assertion = await verifyClientAssertion({
      assertion: request!.body.get('client_assertion')!,
      jwks: await registeredJwks(pair.publicKey, `${alg}-key`),
      clientId: request!.body.get('client_id')!,
      audiences: [ISSUER, TOKEN_ENDPOINT],
      now: Date.now(),
      replay: assertionReplay,
    });
    expect(assertion).toMatchObject({ ok: true, value: { alg, kid: `${alg}-key` } });

    const proof = await verifyDpopProof({ proof: request!.headers.get('dpop')!, method: request!.method, url: request!.url, now: Date.now(), replay: proofReplay });
    expect(proof).toEqual({ ok: true, value: expect.objectContaining({ jkt: await dpop.calculateThumbprint(), alg: 'ES256' }) });
  });

  it('a DPoP-bound resource request passes with ath, and its replay does not', async () => {
    const dpop = oauth.DPoP(oauthClient, keyPairs.Ed25519);
    const server = fakeServer(() => new Response('{}', { headers: { 'content-type': 'application/json' } }));
    const token = 'eyJ0eXAiOiJhdCtqd3QifQ.eyJjbmYiOnt9fQ.c2ln';
    await oauth.protectedResourceRequest(token, 'GET', new URL(API_URL), new Headers(), null, { DPoP: dpop, [oauth.customFetch]: server.fetch });

    const [request] = server.requests;
    expect(request!.headers.get('authorization')).toBe(`DPoP ${token}`);
    const check: DpopProofCheck = {
      proof: request!.headers.get('dpop')!,
      method: 'GET',
      url: API_URL,
      accessToken: token,
      now: Date.now(),
      replay: proofReplay,
    };
    const proof = await verifyDpopProof(check);
    expect(proof).toMatchObject({ ok: true, value: { alg: 'Ed25519' } });
    const jkt = await dpop.calculateThumbprint();
    expect(checkDpopBinding({ scheme: 'DPoP', cnf: { jkt }, proofJkt: proof.ok ? proof.value.jkt : undefined }).ok).toBe(true);
    expect(await verifyDpopProof(check)).toMatchObject({ ok: false, reason: 'replayed' });
  });
});

describe('openid-client: PrivateKeyJwt, DPoP and token exchange, unmodified', () => {
  function configuration(privateKey: CryptoKey, kid?: string) {
    const config = new client.Configuration(as, CLIENT_ID, undefined, client.PrivateKeyJwt(kid ? { key: privateKey, kid } : privateKey));
    return config;
  }

  it.each(ALGORITHMS)('clientCredentialsGrant signed with %s (no kid) passes both verifiers', async (alg) => {
    const pair = keyPairs[alg];
    const config = configuration(pair.privateKey);
    const server = fakeServer();
    config[client.customFetch] = server.fetch;
    const dpopPair = await client.randomDPoPKeyPair('ES256');
    const result = await client.clientCredentialsGrant(config, { scope: 'orders:read' }, { DPoP: client.getDPoPHandle(config, dpopPair) });
    expect(result.token_type).toBe('dpop');

    const [request] = server.requests;
    const assertion = await verifyClientAssertion({
      assertion: request!.body.get('client_assertion')!,
      jwks: await registeredJwks(pair.publicKey),
      clientId: CLIENT_ID,
      audiences: [ISSUER, TOKEN_ENDPOINT],
      now: Date.now(),
      replay: recordingReplay(),
    });
    expect(assertion).toMatchObject({ ok: true, value: { alg } });
    const proof = await verifyDpopProof({ proof: request!.headers.get('dpop')!, method: 'POST', url: TOKEN_ENDPOINT, now: Date.now(), replay: recordingReplay() });
    expect(proof.ok).toBe(true);
  });

  it('retries on its own with the DPoP-Nonce keymint issues, and keymint accepts the nonce in the retried proof', async () => {
    const nonces = createDpopNonces(await webCrypto.createHmac('interop-nonce-secret-0123456789abcdef'), { context: 'sandbox' });
    const replay = recordingReplay();
    const outcomes: string[] = [];
    const server = fakeServer(() => tokenResponse());
    const answer = async (request: Captured) => {
      const proof = await verifyDpopProof({ proof: request.headers.get('dpop')!, method: 'POST', url: TOKEN_ENDPOINT, now: Date.now(), replay, nonces });
      outcomes.push(proof.ok ? 'ok' : proof.reason);
      if (proof.ok) return tokenResponse();
      return Response.json(
        { error: 'use_dpop_nonce', error_description: 'a DPoP nonce is required' },
        { status: 400, headers: { 'DPoP-Nonce': await nonces.issue(Date.now()) } },
      );
    };
    const config = configuration(keyPairs.ES256.privateKey, 'ES256-key');
    config[client.customFetch] = async (url: string, init: Parameters<typeof server.fetch>[1]) => {
      await server.fetch(url, init);
      return answer(server.requests.at(-1)!);
    };
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    // openid-client retries a use_dpop_nonce answer once by itself, with the nonce from DPoP-Nonce.
    const result = await client.clientCredentialsGrant(config, {}, { DPoP: dpop });
    expect(result.token_type).toBe('dpop');
    expect(outcomes).toEqual(['use_nonce', 'ok']);
  });

  it('a token-exchange request reads into decideTokenExchange as a narrower, still-bound token', async () => {
    const config = configuration(keyPairs.ES256.privateKey, 'ES256-key');
    const server = fakeServer(() =>
      Response.json({ access_token: 'eyJ0eXAiOiJhdCtqd3QifQ.e30.c2ln', token_type: 'DPoP', expires_in: 600, issued_token_type: ACCESS_TOKEN_TYPE }),
    );
    config[client.customFetch] = server.fetch;
    const dpopPair = await client.randomDPoPKeyPair('ES256');
    const dpop = client.getDPoPHandle(config, dpopPair);
    await client.genericGrantRequest(
      config,
      TOKEN_EXCHANGE_GRANT_TYPE,
      { subject_token: 'eyJ0eXAiOiJhdCtqd3QifQ.e30.c2ln', subject_token_type: ACCESS_TOKEN_TYPE, scope: 'orders:read', resource: `${ISSUER}/api` },
      { DPoP: dpop },
    );

    const [request] = server.requests;
    const proof = await verifyDpopProof({ proof: request!.headers.get('dpop')!, method: 'POST', url: TOKEN_ENDPOINT, now: Date.now(), replay: recordingReplay() });
    if (!proof.ok) throw new Error(proof.reason);
    const now = Date.now();
    const decision = decideTokenExchange({
      subject: {
        jti: 'subject-jti',
        client_id: CLIENT_ID,
        env: 'sandbox',
        acct: 'acct_1',
        scope: 'orders:read orders:write',
        aud: `${ISSUER}/api`,
        exp: Math.floor(now / 1000) + 900,
        cnf: { jkt: proof.value.jkt },
      },
      request: {
        subjectTokenType: request!.body.get('subject_token_type') ?? undefined,
        scope: request!.body.get('scope') ?? undefined,
        resources: request!.body.getAll('resource'),
        audiences: request!.body.getAll('audience'),
      },
      caller: { clientId: CLIENT_ID, environment: 'sandbox', requireDpop: false, proofJkt: proof.value.jkt },
      now,
      lifetimeSeconds: 3600,
      audiences: { default: `${ISSUER}/api` },
    });
    expect(request!.body.get('grant_type')).toBe(TOKEN_EXCHANGE_GRANT_TYPE);
    expect(decision).toMatchObject({ ok: true, value: { scope: 'orders:read', aud: `${ISSUER}/api`, cnf: { jkt: proof.value.jkt }, tokenType: 'DPoP' } });
  });
});
