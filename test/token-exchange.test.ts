// Token exchange (RFC 8693, SPEC §8) for down-scoping, against a running gateway: openid-client and oauth4webapi
// drive the grant unmodified; hand-made requests cover every refusal. Revoking a subject revokes what was derived
// from it, as introspection, tokeninfo and the strict proxy see it.
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startGateway, startOrdersAndRestGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { proofKey, signProof } from './support/dpop.js';
import { startUpstream } from './support/upstream.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  issued_token_type?: string;
  error?: string;
  error_description?: string;
}

describe('token exchange', () => {
  let gateway: Gateway;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let key: ApiKeyWithSecret;
  let sibling: ApiKeyWithSecret;
  let production: ApiKeyWithSecret;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      env: {
        KEYMINT_STRICT_SESSIONS: 'true',
        KEYMINT_UPSTREAM_SANDBOX: upstream.url,
        KEYMINT_UPSTREAM_PRODUCTION: upstream.url,
        KEYMINT_SESSION_TTL: '600',
      },
    });
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write', 'billing'] });
    sibling = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write', 'billing'] });
    production = await gateway.createKey(account.id, { environment: 'production', scopes: ['orders:read'] });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  /** A token request for `grant_type=…token-exchange` with client_secret_basic (as `by`), raw. */
  async function exchange(subject: string, params: Record<string, string> = {}, by: ApiKeyWithSecret = key, headers: Record<string, string> = {}) {
    const environment = by === production ? 'production' : 'sandbox';
    const response = await gateway.fetch(`/${environment}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(by.applicationId, by.applicationSecret), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ grant_type: GRANT, subject_token: subject, subject_token_type: ACCESS_TOKEN, ...params }),
    });
    return { status: response.status, body: (await response.json()) as TokenAnswer };
  }

  async function derive(subject: string, params: Record<string, string> = {}): Promise<string> {
    const answer = await exchange(subject, params);
    expect(answer.status).toBe(200);
    return answer.body.access_token;
  }

  const introspect = async (token: string) => {
    const response = await gateway.fetch('/sandbox/oauth/introspect', {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    return (await response.json()) as { active: boolean; scope?: string };
  };
  const tokenInfo = (token: string) => gateway.fetch('/sandbox/oauth/tokeninfo', { headers: { authorization: `Bearer ${token}` } });
  const proxied = (token: string) => gateway.fetch('/sandbox/api/orders', { headers: { authorization: `Bearer ${token}` } });
  const revoke = (token: string) =>
    gateway.fetch('/sandbox/oauth/revoke', {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });

  it("narrows a token through openid-client's own genericGrantRequest: a subset of the scope, no later expiry", async () => {
    const subject = await gateway.mint('sandbox', key, 'orders:read orders:write');
    const config = new client.Configuration(
      { issuer: gateway.issuer('sandbox'), token_endpoint: `${gateway.issuer('sandbox')}/oauth/token` },
      key.applicationId,
      undefined,
      client.ClientSecretBasic(key.applicationSecret),
    );
    client.allowInsecureRequests(config);
    const answer = await client.genericGrantRequest(config, GRANT, { subject_token: subject, subject_token_type: ACCESS_TOKEN, scope: 'orders:read' });
    expect(answer).toMatchObject({ token_type: 'bearer', scope: 'orders:read', issued_token_type: ACCESS_TOKEN });
    expect(answer.access_token).not.toBe(subject);
    const [parent, derived] = [decodeJwt(subject), decodeJwt(answer.access_token)];
    expect(derived).toMatchObject({ client_id: key.applicationId, scope: 'orders:read', aud: parent.aud, env: 'sandbox' });
    expect(derived.exp!).toBeLessThanOrEqual(parent.exp!);
    expect(await introspect(answer.access_token)).toMatchObject({ active: true, scope: 'orders:read' });
  });

  it("keeps the subject's scope by default, through oauth4webapi's genericTokenEndpointRequest", async () => {
    const subject = await gateway.mint('sandbox', key, 'orders:read billing');
    const as: oauth.AuthorizationServer = { issuer: gateway.issuer('sandbox'), token_endpoint: `${gateway.issuer('sandbox')}/oauth/token` };
    const oauthClient: oauth.Client = { client_id: key.applicationId };
    const response = await oauth.genericTokenEndpointRequest(as, oauthClient, oauth.ClientSecretPost(key.applicationSecret), GRANT, {
      subject_token: subject,
      subject_token_type: ACCESS_TOKEN,
    }, { [oauth.allowInsecureRequests]: true });
    const answer = await oauth.processGenericTokenEndpointResponse(as, oauthClient, response);
    expect(answer).toMatchObject({ scope: 'orders:read billing', issued_token_type: ACCESS_TOKEN });
  });

  it('caps the derived expiry at the subject’s, however long the environment’s lifetime', async () => {
    const subject = await gateway.mint('sandbox', key, 'orders:read');
    const first = decodeJwt(await derive(subject));
    // A derived token of a derived token still ends with the original.
    const second = decodeJwt(await derive(await derive(subject)));
    expect(first.exp).toBeLessThanOrEqual(decodeJwt(subject).exp!);
    expect(second.exp).toBeLessThanOrEqual(decodeJwt(subject).exp!);
  });

  it.each<[string, () => Promise<{ subject: string; params?: Record<string, string>; by?: ApiKeyWithSecret }>, string, RegExp]>([
    ['a broader scope', async () => ({ subject: await gateway.mint('sandbox', key, 'orders:read'), params: { scope: 'orders:read billing' } }), 'invalid_scope', /subset/],
    ['a token of another key of the same account', async () => ({ subject: await gateway.mint('sandbox', sibling, 'orders:read') }), 'invalid_request', /not a live session token/],
    [
      "the other environment's token",
      async () => ({ subject: await gateway.mint('sandbox', key, 'orders:read'), by: production }),
      'invalid_request',
      /not a live session token/,
    ],
    ['a tampered token', async () => ({ subject: `${await gateway.mint('sandbox', key, 'orders:read')}x` }), 'invalid_request', /not a live session token/],
    ['a token that is not a JWT', async () => ({ subject: 'not-a-token' }), 'invalid_request', /not a live session token/],
    ['another subject_token_type', async () => ({ subject: await gateway.mint('sandbox', key), params: { subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' } }), 'invalid_request', /subject_token_type/],
    ['another requested_token_type', async () => ({ subject: await gateway.mint('sandbox', key), params: { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' } }), 'invalid_request', /requested_token_type/],
    ['an actor_token', async () => ({ subject: await gateway.mint('sandbox', key), params: { actor_token: await gateway.mint('sandbox', key) } }), 'invalid_request', /actor_token/],
    ['a resource the subject does not reach', async () => ({ subject: await gateway.mint('sandbox', key), params: { resource: 'https://elsewhere.test/api' } }), 'invalid_target', /resource/],
  ])('refuses %s', async (_, make, error, description) => {
    const { subject, params, by } = await make();
    const answer = await exchange(subject, params, by);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error, error_description: expect.stringMatching(description) });
    expect(answer.body.access_token).toBeUndefined();
  });

  it('refuses a missing subject_token, and a revoked one', async () => {
    const missing = await gateway.fetch('/sandbox/oauth/token', {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: GRANT, subject_token_type: ACCESS_TOKEN }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/subject_token/) });
    const subject = await gateway.mint('sandbox', key, 'billing');
    expect((await revoke(subject)).status).toBe(200);
    expect((await exchange(subject)).body.error).toBe('invalid_request');
  });

  it('refuses a wrong client secret before looking at the subject: invalid_client', async () => {
    const subject = await gateway.mint('sandbox', key);
    const wrong = { ...key, applicationSecret: key.applicationSecret.replace(/.$/, (last) => (last === 'x' ? 'y' : 'x')) };
    const answer = await exchange(subject, {}, wrong);
    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('revoking the subject revokes its derived tokens and theirs, on introspection, tokeninfo and the strict proxy; not its siblings or parent', async () => {
    // A fresh scope so the issuance cache hands no other test's token.
    const root = await gateway.mint('sandbox', key, 'orders:write');
    const subject = await derive(root);
    const child = await derive(subject);
    const grandchild = await derive(child);
    const sibling = await derive(root);
    for (const token of [root, subject, child, grandchild, sibling]) {
      expect((await introspect(token)).active).toBe(true);
      expect((await proxied(token)).status).toBe(200);
    }

    expect((await revoke(subject)).status).toBe(200);
    for (const token of [subject, child, grandchild]) {
      expect(await introspect(token)).toEqual({ active: false });
      expect((await tokenInfo(token)).status).toBe(401);
      const refused = await proxied(token);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_token');
    }
    for (const token of [root, sibling]) {
      expect((await introspect(token)).active).toBe(true);
      expect((await tokenInfo(token)).status).toBe(200);
      expect((await proxied(token)).status).toBe(200);
    }
    // And a revoked token cannot be exchanged into a live one.
    expect((await exchange(child)).body.error).toBe('invalid_request');
  });

  it('revoking the key’s sessions from the admin API takes the derived tokens too', async () => {
    const account = await gateway.createAccount('Other');
    const own = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
    const subject = await gateway.mint('sandbox', own);
    const answer = await exchange(subject, {}, own);
    expect(answer.status).toBe(200);
    expect((await proxied(answer.body.access_token)).status).toBe(200);
    expect((await gateway.admin('POST', `/accounts/${account.id}/keys/${own.id}/revoke-sessions`)).status).toBeLessThan(300);
    expect((await proxied(answer.body.access_token)).status).toBe(401);
  });

  describe('with DPoP', () => {
    it('keeps a bound subject bound: the exchange needs a proof by its key, and the derived token is bound to it', async () => {
      const holder = await proofKey('ES256');
      const tokenUrl = `${gateway.issuer('sandbox')}/oauth/token`;
      const minted = await gateway.fetch('/sandbox/oauth/token', {
        method: 'POST',
        headers: {
          authorization: basic(key.applicationId, key.applicationSecret),
          'content-type': 'application/x-www-form-urlencoded',
          dpop: await signProof(holder, { htm: 'POST', htu: tokenUrl }),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read billing' }),
      });
      const subject = ((await minted.json()) as TokenAnswer).access_token;

      const asBearer = await exchange(subject);
      expect(asBearer).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
      const thief = await proofKey('ES256');
      const byThief = await exchange(subject, {}, key, { dpop: await signProof(thief, { htm: 'POST', htu: tokenUrl }) });
      expect(byThief).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: expect.stringMatching(/bound to/) } });

      const derived = await exchange(subject, { scope: 'billing' }, key, { dpop: await signProof(holder, { htm: 'POST', htu: tokenUrl }) });
      expect(derived).toMatchObject({ status: 200, body: { token_type: 'DPoP', scope: 'billing', issued_token_type: ACCESS_TOKEN } });
      expect(decodeJwt(derived.body.access_token).cnf).toEqual({ jkt: holder.jkt });
      // Bearer use of the derived token is refused at the proxy as for any bound token.
      expect((await proxied(derived.body.access_token)).status).toBe(401);
    });
  });
});

describe('token exchange with several services (SPEC §7, §8)', () => {
  const ORDERS = 'https://orders.example';
  let gateway: Gateway;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let key: ApiKeyWithSecret;

  beforeAll(async () => {
    ({ upstream, gateway, key } = await startOrdersAndRestGateway(ORDERS));
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  async function exchange(body: URLSearchParams) {
    const response = await gateway.fetch('/sandbox/oauth/token', {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    return { status: response.status, body: (await response.json()) as TokenAnswer };
  }

  it("narrows a default-audience token to one service's audience, which then works only on that service", async () => {
    const subject = await gateway.mint('sandbox', key);
    const answer = await exchange(
      new URLSearchParams({ grant_type: GRANT, subject_token: subject, subject_token_type: ACCESS_TOKEN, resource: ORDERS }),
    );
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token).aud).toBe(ORDERS);
    const call = (path: string) => gateway.fetch(path, { headers: { authorization: `Bearer ${answer.body.access_token}` } });
    expect((await call('/sandbox/api/orders/1')).status).toBe(200);
    expect((await call('/sandbox/api/other')).status).toBe(401);
  });

  it('refuses two resources with invalid_target, as the client_credentials grant does', async () => {
    const subject = await gateway.mint('sandbox', key);
    const body = new URLSearchParams({ grant_type: GRANT, subject_token: subject, subject_token_type: ACCESS_TOKEN });
    // Each alone would be granted (the subject's own audience, a service's); together they name two targets.
    body.append('resource', decodeJwt(subject).aud as string);
    body.append('resource', ORDERS);
    expect(await exchange(body)).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });
});
