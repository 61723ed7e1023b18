// SPEC §2 introspection (RFC 7662), revocation (RFC 7009) and tokeninfo through real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { createTestClock, introspect, postForm, revoke, tokenInfo, type TestClock } from './support/oauth-calls.js';

const ACTIVE_FIELDS = ['active', 'aud', 'client_id', 'env', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub', 'token_type'];

describe('session endpoints', () => {
  let gateway: Gateway;
  let clock: TestClock;
  let key: ApiKeyWithSecret;
  let sibling: ApiKeyWithSecret;
  let stranger: ApiKeyWithSecret;
  beforeAll(async () => {
    clock = createTestClock();
    gateway = await startGateway({ clock });
    const account = await gateway.createAccount('Owner');
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['read', 'write'] });
    sibling = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['read'] });
    const otherAccount = await gateway.createAccount('Stranger');
    stranger = await gateway.createKey(otherAccount.id, { environment: 'sandbox', scopes: ['read'] });
  });
  afterAll(() => gateway.close());

  describe('POST /{env}/oauth/introspect', () => {
    it('describes an active token with the RFC 7662 fields SPEC §2 lists', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      const response = await postForm(gateway, 'sandbox', 'introspect', { token }, key);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as Record<string, unknown>;
      for (const field of ACTIVE_FIELDS) expect(body).toHaveProperty(field);
      expect(body).toMatchObject({
        active: true,
        scope: 'read',
        client_id: key.applicationId,
        sub: key.applicationId,
        iss: gateway.issuer('sandbox'),
        token_type: 'Bearer',
        env: 'sandbox',
      });
      expect(body.exp as number).toBeGreaterThan(body.iat as number);
    });

    it('lets another key of the same account introspect the token', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      expect(await introspect(gateway, 'sandbox', sibling, token)).toMatchObject({ active: true, client_id: key.applicationId });
    });

    it.each([
      ['a garbage string', 'garbage'],
      ['a JWT-shaped string with a bad signature', 'eyJhbGciOiJFUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
    ])('answers {active:false} for %s', async (_, token) => {
      expect(await introspect(gateway, 'sandbox', key, token)).toEqual({ active: false });
    });

    it('answers {active:false} for a token of another account', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      expect(await introspect(gateway, 'sandbox', stranger, token)).toEqual({ active: false });
    });

    it('answers {active:false} for an expired token', async () => {
      const account = await gateway.createAccount('Expiry');
      const short = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['read'] });
      const token = await gateway.mint('sandbox', short);
      expect(await introspect(gateway, 'sandbox', short, token)).toMatchObject({ active: true });
      clock.advance(3601);
      expect(await introspect(gateway, 'sandbox', short, token)).toEqual({ active: false });
    });

    it('answers 401 invalid_client when the caller does not authenticate', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      const response = await postForm(gateway, 'sandbox', 'introspect', { token });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('answers 401 invalid_client for a wrong caller secret', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      const response = await postForm(gateway, 'sandbox', 'introspect', {
        token,
        client_id: key.applicationId,
        client_secret: sibling.applicationSecret,
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('answers 400 invalid_request without a token parameter', async () => {
      const response = await postForm(gateway, 'sandbox', 'introspect', {}, key);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('POST /{env}/oauth/revoke', () => {
    it('answers 200 for a token it has never seen', async () => {
      const response = await revoke(gateway, 'sandbox', key, 'never-issued');
      expect(response.status).toBe(200);
    });

    it('revokes its own token for introspection and tokeninfo', async () => {
      const token = await gateway.mint('sandbox', key, 'write');
      expect((await tokenInfo(gateway, 'sandbox', token)).status).toBe(200);
      expect((await revoke(gateway, 'sandbox', key, token)).status).toBe(200);
      expect(await introspect(gateway, 'sandbox', key, token)).toEqual({ active: false });
      const info = await tokenInfo(gateway, 'sandbox', token);
      expect(info.status).toBe(401);
      expect(info.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    });

    it("does not let a key revoke another key's token", async () => {
      const token = await gateway.mint('sandbox', key, 'read write');
      expect((await revoke(gateway, 'sandbox', sibling, token)).status).toBe(200);
      expect(await introspect(gateway, 'sandbox', key, token)).toMatchObject({ active: true });
    });

    it('does not let another account revoke a token', async () => {
      const token = await gateway.mint('sandbox', key, 'read write');
      expect((await revoke(gateway, 'sandbox', stranger, token)).status).toBe(200);
      expect(await introspect(gateway, 'sandbox', key, token)).toMatchObject({ active: true });
    });

    it('issues a new token after revocation instead of the cached revoked one', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      expect(await gateway.mint('sandbox', key, 'read')).toBe(token);
      await revoke(gateway, 'sandbox', key, token);
      const fresh = await gateway.mint('sandbox', key, 'read');
      expect(fresh).not.toBe(token);
      expect(await introspect(gateway, 'sandbox', key, fresh)).toMatchObject({ active: true });
    });

    it('answers 401 invalid_client when the caller does not authenticate', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      const response = await postForm(gateway, 'sandbox', 'revoke', { token });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
      expect(await introspect(gateway, 'sandbox', key, token)).toMatchObject({ active: true });
    });
  });

  describe('GET /{env}/oauth/tokeninfo', () => {
    it('shows the session of a bearer token as introspection does', async () => {
      const token = await gateway.mint('sandbox', key, 'read');
      const response = await tokenInfo(gateway, 'sandbox', token);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      const introspected = await introspect(gateway, 'sandbox', key, token);
      expect(body).toMatchObject(introspected);
    });

    it.each([
      ['without a bearer token', undefined],
      ['with a garbage bearer token', 'garbage'],
    ])('answers 401 with an RFC 6750 challenge %s', async (_, token) => {
      const response = await tokenInfo(gateway, 'sandbox', token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
      expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    });
  });
});
