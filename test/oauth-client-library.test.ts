// An outside OAuth client (oauth4webapi) against the running gateway: discovery, both client auth methods,
// introspection and revocation, then verification of the token with jose's remote JWKS.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';

// The test gateway listens on http://127.0.0.1; oauth4webapi refuses plain HTTP unless told otherwise.
const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe('oauth4webapi as the client', () => {
  let gateway: Gateway;
  let key: ApiKeyWithSecret;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  beforeAll(async () => {
    gateway = await startGateway();
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write'] });
    const issuer = new URL(gateway.issuer('sandbox'));
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    client = { client_id: key.applicationId };
  });
  afterAll(() => gateway.close());

  it('discovers the environment as an RFC 8414 authorization server', () => {
    expect(as.issuer).toBe(gateway.issuer('sandbox'));
    // SPEC §8 adds RFC 8693 token exchange to client credentials.
    expect(as.grant_types_supported).toEqual(['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']);
  });

  it.each([
    ['client_secret_basic', () => oauth.ClientSecretBasic(key.applicationSecret)],
    ['client_secret_post', () => oauth.ClientSecretPost(key.applicationSecret)],
  ])('obtains a token with %s that verifies against the JWKS', async (_, auth) => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth(), { scope: 'orders:read' }, insecure);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.token_type).toBe('bearer');
    expect(result.scope).toBe('orders:read');
    expect(result.expires_in).toBeGreaterThan(0);

    const { payload } = await jwtVerify(result.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      issuer: as.issuer,
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ client_id: key.applicationId, scope: 'orders:read', env: 'sandbox' });
  });

  it('surfaces invalid_client to the library: a Basic challenge with Basic, an error body with post', async () => {
    const other = await gateway.createKey(key.accountId, { environment: 'sandbox' });
    const wrong = (auth: oauth.ClientAuth) =>
      oauth
        .clientCredentialsGrantRequest(as, client, auth, {}, insecure)
        .then((response) => oauth.processClientCredentialsResponse(as, client, response))
        .catch((error: unknown) => error);

    const basic = await wrong(oauth.ClientSecretBasic(other.applicationSecret));
    expect(basic).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect((basic as oauth.WWWAuthenticateChallengeError).status).toBe(401);
    expect((basic as oauth.WWWAuthenticateChallengeError).cause).toEqual([
      expect.objectContaining({ scheme: 'basic', parameters: expect.objectContaining({ realm: 'sandbox' }) }),
    ]);

    const post = await wrong(oauth.ClientSecretPost(other.applicationSecret));
    expect(post).toBeInstanceOf(oauth.ResponseBodyError);
    expect((post as oauth.ResponseBodyError).error).toBe('invalid_client');
    expect((post as oauth.ResponseBodyError).status).toBe(401);
  });

  it('introspects and revokes through the library helpers', async () => {
    const auth = oauth.ClientSecretBasic(key.applicationSecret);
    const granted = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'orders:write' }, insecure),
    );
    const token = granted.access_token;

    const active = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, token, insecure),
    );
    expect(active).toMatchObject({ active: true, client_id: key.applicationId, scope: 'orders:write', token_type: 'Bearer' });

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, token, insecure));

    const revoked = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, oauth.ClientSecretPost(key.applicationSecret), token, insecure),
    );
    expect(revoked.active).toBe(false);
  });
});
