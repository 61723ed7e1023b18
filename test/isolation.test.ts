// SPEC intro + §1: sandbox and production never see each other's keys, sessions or signing keys.
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type Environment } from '../src/shared/domain.js';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { introspect, postForm, revoke, tokenInfo } from './support/oauth-calls.js';

const other = (environment: Environment): Environment => (environment === 'sandbox' ? 'production' : 'sandbox');

describe('environment isolation', () => {
  let gateway: Gateway;
  const keys = {} as Record<Environment, ApiKeyWithSecret>;
  const tokens = {} as Record<Environment, string>;
  beforeAll(async () => {
    gateway = await startGateway();
    const account = await gateway.createAccount();
    for (const environment of ENVIRONMENTS) {
      keys[environment] = await gateway.createKey(account.id, { environment, scopes: ['a'] });
      tokens[environment] = await gateway.mint(environment, keys[environment]);
    }
  });
  afterAll(() => gateway.close());

  describe.each(ENVIRONMENTS)('a %s credential or token elsewhere', (environment) => {
    const elsewhere = other(environment);

    it('is refused at the other token endpoint with invalid_client naming its environment', async () => {
      const key = keys[environment];
      const response = await gateway.exchange(elsewhere, key.applicationId, key.applicationSecret);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${elsewhere}"`);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_client');
      expect(body.error_description).toContain(environment);
    });

    it('is refused with client_secret_post too', async () => {
      const response = await postForm(gateway, elsewhere, 'token', { grant_type: 'client_credentials' }, keys[environment]);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    it("is refused when only the application ID is the other environment's", async () => {
      const response = await gateway.exchange(elsewhere, keys[environment].applicationId, keys[elsewhere].applicationSecret);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('introspects as {active:false} at the other environment', async () => {
      expect(await introspect(gateway, elsewhere, keys[elsewhere], tokens[environment])).toEqual({ active: false });
      // …while its own environment still sees it.
      expect(await introspect(gateway, environment, keys[environment], tokens[environment])).toMatchObject({ active: true });
    });

    it('gets 401 invalid_token at the other tokeninfo', async () => {
      const response = await tokenInfo(gateway, elsewhere, tokens[environment]);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    });

    it('cannot be revoked from the other environment', async () => {
      expect((await revoke(gateway, elsewhere, keys[elsewhere], tokens[environment])).status).toBe(200);
      expect(await introspect(gateway, environment, keys[environment], tokens[environment])).toMatchObject({ active: true });
    });

    it("is signed with a key that is not in the other environment's JWKS", async () => {
      const { keys: published } = (await (await gateway.fetch(`/${elsewhere}/.well-known/jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      expect(published.map((jwk) => jwk.kid)).not.toContain(decodeProtectedHeader(tokens[environment]).kid);
    });
  });

  it('lists keys per environment only', async () => {
    const response = await gateway.admin('GET', `/accounts/${keys.sandbox.accountId}/keys?environment=production`);
    const page = (await response.json()) as { items: Array<{ id: string; environment: string }> };
    expect(page.items.map((key) => key.id)).toEqual([keys.production.id]);
  });
});
