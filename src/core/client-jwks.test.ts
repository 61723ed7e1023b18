import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { clientJwksSchema, readClientJwks } from './client-jwks.js';
import { checkPublicJwk } from './public-jwk.js';

const ec = await generateKeyPair('ES256', { extractable: true });
const ed = await generateKeyPair('Ed25519', { extractable: true });
const rsa = await generateKeyPair('RS256', { extractable: true });
const ecJwk = await exportJWK(ec.publicKey);
const edJwk = await exportJWK(ed.publicKey);
const rsaJwk = await exportJWK(rsa.publicKey);

async function rsaPublicJwkOfBits(bits: number): Promise<JWK> {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  );
  return exportJWK(pair.publicKey);
}

async function refusal(input: unknown): Promise<string> {
  const result = await readClientJwks(input);
  if (result.ok) throw new Error('expected a refusal');
  expect(result.reason).toBe('invalid_jwks');
  return result.detail!;
}

describe('readClientJwks', () => {
  it('takes a single JWK as a set of one and shows its RFC 7638 thumbprint', async () => {
    const result = await readClientJwks({ ...ecJwk, kid: 'ci-2026' });
    expect(result).toEqual({
      ok: true,
      value: {
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: ecJwk.x, y: ecJwk.y, kid: 'ci-2026' }] },
        keys: [{ kty: 'EC', crv: 'P-256', kid: 'ci-2026', thumbprint: await calculateJwkThumbprint(ecJwk) }],
      },
    });
  });

  it('takes a JWK Set of EC P-256, Ed25519 and RSA keys, in order, with the RSA size', async () => {
    const result = await readClientJwks({ keys: [ecJwk, { ...edJwk, alg: 'EdDSA' }, { ...rsaJwk, kid: 'r', use: 'sig' }] });
    if (!result.ok) throw new Error(result.detail);
    expect(result.value.keys).toEqual([
      { kty: 'EC', crv: 'P-256', thumbprint: await calculateJwkThumbprint(ecJwk) },
      { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', thumbprint: await calculateJwkThumbprint(edJwk) },
      { kty: 'RSA', kid: 'r', bits: 2048, thumbprint: await calculateJwkThumbprint(rsaJwk) },
    ]);
    expect(result.value.jwks.keys[2]).toEqual({ kty: 'RSA', n: rsaJwk.n, e: 'AQAB', kid: 'r', use: 'sig' });
  });

  it('keeps only public members (drops x5c, key_ops, ext and the like)', async () => {
    const result = await readClientJwks({ keys: [{ ...edJwk, x5c: ['MIIB'], key_ops: ['verify'], ext: true, extra: 1 }] });
    if (!result.ok) throw new Error(result.detail);
    expect(result.value.jwks.keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: edJwk.x }]);
  });

  it('reads pasted JSON text, and says so when the text is not JSON', async () => {
    expect((await readClientJwks(JSON.stringify({ keys: [ecJwk] }))).ok).toBe(true);
    expect(await refusal('{"kty": "EC",')).toMatch(/not valid JSON/);
  });

  it('refuses private keys and names the private member, for every key type', async () => {
    expect(await refusal(await exportJWK(ec.privateKey))).toMatch(/private key \(it has "d"\)/);
    expect(await refusal({ keys: [ecJwk, await exportJWK(ed.privateKey)] })).toMatch(/^keys\.1: this is a private key/);
    expect(await refusal(await exportJWK(rsa.privateKey))).toMatch(/private key/);
    expect(await refusal({ ...rsaJwk, p: 'AQAB' })).toMatch(/it has "p"/);
  });

  it('refuses symmetric keys', async () => {
    expect(await refusal({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' })).toMatch(/symmetric keys/);
  });

  it('refuses unknown key types and curves', async () => {
    expect(await refusal({ kty: 'AKP', alg: 'ML-DSA-44', pub: 'AAAA' })).toMatch(/kty must be/);
    expect(await refusal({ ...ecJwk, crv: 'P-384' })).toMatch(/EC keys must use crv "P-256"/);
    expect(await refusal({ ...ecJwk, crv: 'secp256k1' })).toMatch(/P-256/);
    expect(await refusal({ ...edJwk, crv: 'X25519' })).toMatch(/OKP keys must use crv "Ed25519"/);
    expect(await refusal({ ...edJwk, crv: 'Ed448' })).toMatch(/Ed25519/);
  });

  it('refuses RSA keys under 2048 bits, saying how many bits they have', async () => {
    expect(await refusal(await rsaPublicJwkOfBits(1024))).toMatch(/2048 to 8192 bits \(this one has 1024\)/);
  });

  it('refuses RSA exponents that would make signatures meaningless', async () => {
    expect(await refusal({ ...rsaJwk, e: 'AQ' })).toMatch(/"e" must be an odd public exponent/);
    expect(await refusal({ ...rsaJwk, e: 'AAI' })).toMatch(/"e"/);
  });

  it('refuses coordinates of the wrong length and points off the curve', async () => {
    expect(await refusal({ ...ecJwk, x: ecJwk.x!.slice(0, 40) })).toMatch(/"x" must be 32 bytes/);
    expect(await refusal({ ...ecJwk, y: ecJwk.x })).toMatch(/keys\.0: not a valid public key/);
  });

  it('refuses odd kids, uses and algorithms', async () => {
    expect(await refusal({ ...ecJwk, kid: 'a\u001b[31mb' })).toMatch(/"kid" must be 1 to 128 visible ASCII/);
    expect(await refusal({ ...ecJwk, kid: '' })).toMatch(/kid/);
    expect(await refusal({ ...ecJwk, use: 'enc' })).toMatch(/"use" must be "sig"/);
    expect(await refusal({ ...ecJwk, alg: 'HS256' })).toMatch(/"alg" must be one of/);
    expect(await refusal({ ...ecJwk, alg: 'RS256' })).toMatch(/fit the key type/);
  });

  it('refuses duplicate kids and the same key listed twice', async () => {
    expect(await refusal({ keys: [{ ...ecJwk, kid: 'a' }, { ...edJwk, kid: 'a' }] })).toMatch(/keys\.1\.kid: kid "a" is used twice/);
    expect(await refusal({ keys: [{ ...ecJwk, kid: 'a' }, { ...ecJwk, kid: 'b' }] })).toMatch(/keys\.1: the same key is listed twice/);
  });

  it('takes one to five keys', async () => {
    expect(await refusal({ keys: [] })).toMatch(/at least one key/);
    const six = await Promise.all(Array.from({ length: 6 }, async () => exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)));
    expect(await refusal({ keys: six })).toMatch(/at most 5 public keys/);
    expect((await readClientJwks({ keys: six.slice(0, 5) })).ok).toBe(true);
  });

  it('refuses what is neither a JWK nor a JWK Set', async () => {
    expect(await refusal([ecJwk])).toBe('expected a JWK ({"kty": …}) or a JWK Set ({"keys": […]})');
    expect(await refusal(null)).toMatch(/expected a JWK/);
    expect(await refusal({})).toMatch(/expected a JWK/);
    expect(await refusal({ keys: [42] })).toMatch(/^keys\.0/);
  });
});

describe('clientJwksSchema (for the admin API)', () => {
  it('parses synchronously to the stored set', () => {
    expect(clientJwksSchema.parse(edJwk)).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: edJwk.x }] });
  });
});

describe('checkPublicJwk', () => {
  it('is what DPoP proofs use too: a public JWK passes, its private half does not', async () => {
    expect(checkPublicJwk(ecJwk).ok).toBe(true);
    expect(checkPublicJwk(await exportJWK(ec.privateKey))).toMatchObject({ ok: false, reason: 'private_key' });
    expect(checkPublicJwk('{"kty":"EC"}')).toMatchObject({ ok: false, reason: 'not_an_object' });
  });
});
