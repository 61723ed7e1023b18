// SPEC §4 signing keys: the operator lists and rotates an environment's key; tokens signed before keep verifying.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';
import { createTestClock, introspect } from './support/oauth-calls.js';

interface SigningKey {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  publicJwk: Record<string, unknown>;
  createdAt: string;
  retiredAt: string | null;
  publishedUntil: string | null;
}

describe('signing keys', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  async function list(environment: 'sandbox' | 'production'): Promise<SigningKey[]> {
    const response = await gateway.admin('GET', `/environments/${environment}/signing-keys`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: SigningKey[] }).items;
  }

  async function jwksKids(environment: 'sandbox' | 'production'): Promise<string[]> {
    const body = (await (await gateway.fetch(`/${environment}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    return body.keys.map((jwk) => jwk.kid).sort();
  }

  it('lists one active key per environment with its public part only', async () => {
    const sandbox = await list('sandbox');
    expect(sandbox.filter((key) => key.status === 'active')).toHaveLength(1);
    for (const key of sandbox) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: 'ES256', createdAt: expect.any(String) });
      expect(key.publicJwk).not.toHaveProperty('d');
      expect(JSON.stringify(key)).not.toMatch(/"d"|privateKey/);
    }
    expect(await jwksKids('sandbox')).toEqual(sandbox.map((key) => key.kid).sort());
  });

  it('rotates: new tokens carry the new kid, old tokens still verify and introspect, JWKS lists both', async () => {
    const account = await gateway.createAccount();
    const before = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    const oldToken = await gateway.mint('sandbox', before);
    const oldKid = decodeProtectedHeader(oldToken).kid;
    const productionBefore = await list('production');

    const response = await gateway.admin('POST', '/environments/sandbox/signing-keys/rotate');
    expect(response.status).toBe(201);
    const rotated = (await response.json()) as SigningKey;
    expect(rotated).toMatchObject({ status: 'active', alg: 'ES256' });
    expect(rotated.kid).not.toBe(oldKid);

    const keys = await list('sandbox');
    expect(keys.find((key) => key.kid === rotated.kid)).toMatchObject({ status: 'active' });
    const retired = keys.find((key) => key.kid === oldKid);
    expect(retired).toMatchObject({ status: 'retired', retiredAt: expect.any(String), publishedUntil: expect.any(String) });
    expect(Date.parse(retired!.publishedUntil!)).toBeGreaterThan(Date.now());
    expect(await jwksKids('sandbox')).toEqual(expect.arrayContaining([oldKid, rotated.kid]));

    const after = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    const newToken = await gateway.mint('sandbox', after);
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);

    const jwks = createRemoteJWKSet(new URL(`${gateway.issuer('sandbox')}/.well-known/jwks.json`));
    for (const token of [oldToken, newToken]) {
      await expect(jwtVerify(token, jwks, { issuer: gateway.issuer('sandbox') })).resolves.toBeDefined();
      expect(await introspect(gateway, 'sandbox', after, token)).toMatchObject({ active: true });
    }

    // The other environment is untouched.
    expect(await list('production')).toEqual(productionBefore);
  });

  it('keeps every retired key of successive rotations in the JWKS while its tokens may live', async () => {
    const first = (await list('production')).find((key) => key.status === 'active')!.kid;
    const second = ((await (await gateway.admin('POST', '/environments/production/signing-keys/rotate')).json()) as SigningKey).kid;
    const third = ((await (await gateway.admin('POST', '/environments/production/signing-keys/rotate')).json()) as SigningKey).kid;
    expect(new Set([first, second, third]).size).toBe(3);
    expect(await jwksKids('production')).toEqual([first, second, third].sort());
    expect((await list('production')).filter((key) => key.status === 'active').map((key) => key.kid)).toEqual([third]);
  });

  it('answers 404 for an environment that does not exist', async () => {
    const response = await gateway.admin('GET', '/environments/staging/signing-keys');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('retired signing keys', () => {
  it('leave the JWKS once every token they signed has expired', async () => {
    const clock = createTestClock();
    const gateway = await startGateway({ clock, env: { KEYMINT_SESSION_TTL: '600' } });
    try {
      const kids = async () =>
        ((await (await gateway.fetch('/sandbox/.well-known/jwks.json')).json()) as { keys: Array<{ kid: string }> }).keys.map(
          (jwk) => jwk.kid,
        );
      const [old] = await kids();
      const rotated = (await (await gateway.admin('POST', '/environments/sandbox/signing-keys/rotate')).json()) as { kid: string };
      expect(await kids()).toEqual(expect.arrayContaining([old, rotated.kid]));
      clock.advance(600 - 1);
      expect(await kids()).toContain(old);
      clock.advance(600);
      expect(await kids()).toEqual([rotated.kid]);
    } finally {
      await gateway.close();
    }
  });
});
