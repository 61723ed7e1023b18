import { createHmac } from 'node:crypto';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createSecretHasher, generateApplicationSecret } from '../../core/secrets.js';
import { webCrypto } from '../../core/web-crypto.js';
import { nodeCrypto } from './node-crypto.js';

describe('node:crypto beside WebCrypto', () => {
  it('hashes a secret to the same stored value, so keys made on one runtime authenticate on the other', async () => {
    const onNode = await createSecretHasher('pepper-1', nodeCrypto);
    const onWeb = await createSecretHasher('pepper-1', webCrypto);
    const otherPepper = await createSecretHasher('pepper-2', nodeCrypto);
    for (let i = 0; i < 20; i++) {
      const secret = generateApplicationSecret(i % 2 ? 'sandbox' : 'production');
      const stored = await onWeb.hash(secret);
      expect(await onNode.hash(secret)).toBe(stored);
      expect(stored).toBe(createHmac('sha256', 'pepper-1').update(secret).digest('base64url'));
      expect(await onNode.verify(secret, stored)).toBe(true);
      expect(await otherPepper.verify(secret, stored)).toBe(false);
    }
  });

  it.each([
    ['ES256', {}],
    ['EdDSA', { crv: 'Ed25519' }],
  ] as const)('signs %s JWTs that jose verifies with the public key, header and claims intact', async (alg, options) => {
    const pair = await generateKeyPair(alg, { extractable: true, ...options });
    const sign = await nodeCrypto.createJwtSigner(await exportJWK(pair.privateKey), alg);
    const header = { alg, typ: 'at+jwt', kid: 'k1' };
    const claims = { sub: 'app_sbx_1', scope: 'read write', iat: 1_800_000_000, exp: 1_800_003_600, note: 'ünïcode' };
    const token = await sign(header, claims);
    expect(decodeProtectedHeader(token)).toEqual(header);
    const { payload } = await jwtVerify(token, pair.publicKey, { currentDate: new Date(1_800_000_000_000) });
    expect(payload).toEqual(claims);

    const [h, , s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${s}`;
    await expect(jwtVerify(tampered, pair.publicKey, { currentDate: new Date(1_800_000_000_000) })).rejects.toThrow();
  });

  it('refuses an algorithm it does not sign with', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    await expect(nodeCrypto.createJwtSigner(await exportJWK(pair.privateKey), 'RS256')).rejects.toThrow(/RS256/);
  });
});
