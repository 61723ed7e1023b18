// SPEC intro + §4 key lifecycle: regenerate, disable/enable, delete, revoke-sessions, expiry and lastUsedAt,
// each seen through the token endpoint, introspection, tokeninfo and the JWKS.
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/admin-auth-suite.js';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { createTestClock, introspect, tokenInfo, type TestClock } from './support/oauth-calls.js';

describe('key lifecycle', () => {
  let gateway: Gateway;
  let clock: TestClock;
  beforeAll(async () => {
    clock = createTestClock();
    gateway = await startGateway({ clock });
  });
  afterAll(() => gateway.close());

  /** A fresh account with the key under test and a witness key that introspects its tokens. */
  async function setup(): Promise<{ key: ApiKeyWithSecret; witness: ApiKeyWithSecret; path: string }> {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a', 'b'] });
    const witness = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    return { key, witness, path: `/accounts/${account.id}/keys/${key.id}` };
  }

  async function expectInvalidClient(key: Pick<ApiKeyWithSecret, 'applicationId' | 'applicationSecret'>, mentions?: string) {
    const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_client');
    if (mentions) expect(body.error_description).toContain(mentions);
  }

  async function expectLive(witness: ApiKeyWithSecret, token: string) {
    expect(await introspect(gateway, 'sandbox', witness, token)).toMatchObject({ active: true });
    expect((await tokenInfo(gateway, 'sandbox', token)).status).toBe(200);
  }

  async function expectDead(witness: ApiKeyWithSecret, token: string) {
    expect(await introspect(gateway, 'sandbox', witness, token)).toEqual({ active: false });
    const info = await tokenInfo(gateway, 'sandbox', token);
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  }

  describe('regenerate', () => {
    it('replaces the pair under the same id; the old pair stops minting, its tokens stay valid', async () => {
      const { key, witness, path } = await setup();
      const before = await gateway.mint('sandbox', key);

      const response = await gateway.admin('POST', `${path}/regenerate`);
      expect(response.status).toBe(200);
      const regenerated = (await response.json()) as ApiKeyWithSecret;
      expect(regenerated.id).toBe(key.id);
      expect(regenerated.applicationId).toMatch(/^app_sbx_/);
      expect(regenerated.applicationId).not.toBe(key.applicationId);
      expect(regenerated.applicationSecret).toMatch(/^sk_sbx_/);
      expect(regenerated.applicationSecret).not.toBe(key.applicationSecret);
      expect(regenerated.secretHint).toBe(regenerated.applicationSecret.slice(-4));

      await expectInvalidClient(key);
      // Neither half of the old pair works with the new half.
      await expectInvalidClient({ applicationId: key.applicationId, applicationSecret: regenerated.applicationSecret });
      await expectInvalidClient({ applicationId: regenerated.applicationId, applicationSecret: key.applicationSecret });

      const after = await gateway.mint('sandbox', regenerated);
      expect(after).not.toBe(before);
      expect(decodeJwt(after).client_id).toBe(regenerated.applicationId);

      await expectLive(witness, before);
      const jwks = createRemoteJWKSet(new URL(`${gateway.issuer('sandbox')}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(before, jwks, { issuer: gateway.issuer('sandbox') });
      expect(payload.client_id).toBe(key.applicationId);

      const read = (await (await gateway.admin('GET', path)).json()) as Record<string, unknown>;
      expect(read).toMatchObject({ id: key.id, applicationId: regenerated.applicationId });
      expect(JSON.stringify(read)).not.toContain(regenerated.applicationSecret);
    });
  });

  describe('disable and enable', () => {
    it('a disabled key cannot mint ("disabled"), its tokens stay valid, and enabling restores it', async () => {
      const { key, witness, path } = await setup();
      const before = await gateway.mint('sandbox', key);

      const disabled = await gateway.admin('POST', `${path}/disable`);
      expect(disabled.status).toBe(200);
      expect(await disabled.json()).toMatchObject({ id: key.id, status: 'disabled' });
      await expectInvalidClient(key, 'disabled');
      await expectLive(witness, before);

      const enabled = await gateway.admin('POST', `${path}/enable`);
      expect(enabled.status).toBe(200);
      expect(await enabled.json()).toMatchObject({ id: key.id, status: 'active' });
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(200);
    });

    it('a disabled key cannot call introspection either', async () => {
      const { key, witness, path } = await setup();
      const token = await gateway.mint('sandbox', witness);
      await gateway.admin('POST', `${path}/disable`);
      const response = await gateway.fetch('/sandbox/oauth/introspect', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: key.applicationId, client_secret: key.applicationSecret, token }),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });
  });

  describe('delete', () => {
    it('answers 204; the pair stops minting; tokens minted before stay valid', async () => {
      const { key, witness, path } = await setup();
      const before = await gateway.mint('sandbox', key);

      const response = await gateway.admin('DELETE', path);
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      await expectInvalidClient(key);
      await expectProblem(await gateway.admin('GET', path), 404);
      await expectProblem(await gateway.admin('DELETE', path), 404);
      await expectLive(witness, before);
    });
  });

  describe('revoke-sessions', () => {
    it('revokes every live session of the key, leaves other keys alone, and the key mints fresh tokens', async () => {
      const { key, witness, path } = await setup();
      const first = await gateway.mint('sandbox', key, 'a');
      const second = await gateway.mint('sandbox', key, 'b');
      const bystander = await gateway.mint('sandbox', witness);

      const response = await gateway.admin('POST', `${path}/revoke-sessions`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ key: { id: key.id, status: 'active' }, revokedSessions: 2 });

      await expectDead(witness, first);
      await expectDead(witness, second);
      await expectLive(witness, bystander);

      const fresh = await gateway.mint('sandbox', key, 'a');
      expect(fresh).not.toBe(first);
      await expectLive(witness, fresh);
    });
  });

  describe('revoke-sessions after regenerate', () => {
    it('still reaches the tokens minted with the replaced pair', async () => {
      const { key, witness, path } = await setup();
      const before = await gateway.mint('sandbox', key);
      const regenerated = (await (await gateway.admin('POST', `${path}/regenerate`)).json()) as ApiKeyWithSecret;
      const after = await gateway.mint('sandbox', regenerated);
      await expectLive(witness, before);

      const response = await gateway.admin('POST', `${path}/revoke-sessions`);
      expect(await response.json()).toMatchObject({ revokedSessions: 2 });
      await expectDead(witness, before);
      await expectDead(witness, after);
    });
  });

  describe('expiry', () => {
    it('an expired key gives invalid_client ("expired"); its tokens live out their own lifetime', async () => {
      const account = await gateway.createAccount();
      const witness = await gateway.createKey(account.id, { environment: 'sandbox' });
      const key = await gateway.createKey(account.id, {
        environment: 'sandbox',
        expiresAt: new Date(clock.now() + 120_000).toISOString(),
      });
      const before = await gateway.mint('sandbox', key);
      clock.advance(121);
      await expectInvalidClient(key, 'expired');
      await expectLive(witness, before);
    });
  });

  describe('lastUsedAt', () => {
    it('is set after an exchange', async () => {
      const { key, path } = await setup();
      expect(key.lastUsedAt).toBeNull();
      await gateway.mint('sandbox', key);
      // Written off the request path: poll briefly instead of asserting on timing.
      let lastUsedAt: string | null = null;
      for (let attempt = 0; attempt < 50 && lastUsedAt === null; attempt++) {
        lastUsedAt = ((await (await gateway.admin('GET', path)).json()) as { lastUsedAt: string | null }).lastUsedAt;
        if (lastUsedAt === null) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(lastUsedAt).not.toBeNull();
      expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(Date.parse(key.createdAt));
    });
  });
});
