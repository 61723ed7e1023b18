import { exportJWK, generateKeyPair } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { nodeCrypto } from '../adapters/node/node-crypto.js';
import type { Clock } from '../ports/runtime.js';
import { webCrypto } from './web-crypto.js';
import type { SigningKeyring } from './keyring.js';
import { createSessionTokens, type SessionTokens } from './session-tokens.js';

const pair = await generateKeyPair('ES256', { extractable: true });
const privateJwk = await exportJWK(pair.privateKey);
const subject = { keyId: 'key_0000000000000000000001', applicationId: 'app_sbx_000000000000000000000001', accountId: 'acct_1', scope: 'read' };

describe.each([
  ['WebCrypto (jose)', webCrypto],
  ['node:crypto', nodeCrypto],
])('session tokens signed with %s: verification of a token seen before', (_name, provider) => {
  let now: number;
  let published: boolean;
  let verifications: number;
  let tokens: SessionTokens;
  let audiences: Set<string>;

  beforeEach(async () => {
    audiences = new Set(['https://km.test/sandbox/api', 'https://orders.example']);
    const sign = await provider.createJwtSigner(privateJwk, 'ES256');
    now = Date.UTC(2026, 0, 1);
    published = true;
    verifications = 0;
    const clock: Clock = { now: () => now };
    const keyring = {
      activeKey: async () => ({ kid: 'k1', alg: 'ES256', sign }),
      verificationKey: async (_environment: string, kid: string) => {
        verifications++;
        return published && kid === 'k1' ? { alg: 'ES256', key: pair.publicKey } : undefined;
      },
    } as unknown as SigningKeyring;
    tokens = createSessionTokens({
      keyring,
      clock,
      publicUrl: 'https://km.test',
      lifetime: { sandbox: 3600, production: 3600 },
      knownAudience: (_environment, aud) => audiences.has(aud),
    });
  });

  it('carries the key id and the audience asked for, which must stay one the environment knows', async () => {
    const plain = await tokens.mint('sandbox', subject);
    expect(plain.claims).toMatchObject({ aud: 'https://km.test/sandbox/api', key: 'key_1' });
    const { token, claims } = await tokens.mint('sandbox', { ...subject, audience: 'https://orders.example' });
    expect(claims.aud).toBe('https://orders.example');
    expect(await tokens.verify('sandbox', token)).toEqual({ ok: true, value: expect.objectContaining({ aud: 'https://orders.example', key: 'key_1' }) });
    // A reload took the service away: the token it verified before is refused now, and a fresh verification too.
    audiences.delete('https://orders.example');
    expect(await tokens.verify('sandbox', token)).toMatchObject({ ok: false, reason: 'wrong_issuer' });
    expect(await tokens.verify('sandbox', token)).toMatchObject({ ok: false, reason: 'wrong_issuer' });
    const unknown = await tokens.mint('sandbox', { ...subject, audience: 'https://nobody.example' });
    expect(await tokens.verify('sandbox', unknown.token)).toMatchObject({ ok: false, reason: 'wrong_issuer' });
  });

  it('answers the same claims again', async () => {
    const { token, claims } = await tokens.mint('sandbox', subject);
    const first = await tokens.verify('sandbox', token);
    const second = await tokens.verify('sandbox', token);
    expect(first).toEqual({ ok: true, value: expect.objectContaining(claims) });
    expect(second).toEqual(first);
  });

  it('still expires the token at its exp', async () => {
    const { token, claims } = await tokens.mint('sandbox', subject);
    expect((await tokens.verify('sandbox', token)).ok).toBe(true);
    now = claims.exp * 1000 - 1;
    expect((await tokens.verify('sandbox', token)).ok).toBe(true);
    now = claims.exp * 1000;
    expect(await tokens.verify('sandbox', token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses it once its signing key is no longer published', async () => {
    const { token } = await tokens.mint('sandbox', subject);
    expect((await tokens.verify('sandbox', token)).ok).toBe(true);
    published = false;
    expect(await tokens.verify('sandbox', token)).toMatchObject({ ok: false, reason: 'bad_signature' });
    published = true;
    expect((await tokens.verify('sandbox', token)).ok).toBe(true);
  });

  it('does not let a changed signature or the other environment ride on it', async () => {
    const { token } = await tokens.mint('sandbox', subject);
    expect((await tokens.verify('sandbox', token)).ok).toBe(true);
    const [header, payload, signature] = token.split('.');
    const flipped = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'AB' : 'AA'}`;
    expect((await tokens.verify('sandbox', flipped)).ok).toBe(false);
    expect((await tokens.verify('production', token)).ok).toBe(false);
  });

  it('hands out claims nobody can change for the next caller', async () => {
    const { token } = await tokens.mint('sandbox', subject);
    const first = await tokens.verify('sandbox', token);
    expect(first.ok && Object.isFrozen(first.value)).toBe(true);
  });

  it('still checks the signing key on every call', async () => {
    const { token } = await tokens.mint('sandbox', subject);
    await tokens.verify('sandbox', token);
    const before = verifications;
    await tokens.verify('sandbox', token);
    expect(verifications).toBe(before + 1);
  });
});
