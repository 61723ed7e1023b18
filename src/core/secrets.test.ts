import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET } from '../shared/encoding.js';
import {
  createSecretHasher,
  environmentOfApplicationId,
  generateApplicationId,
  generateApplicationSecret,
  parseApplicationSecret,
  secretHint,
} from './secrets.js';

describe('application secrets', () => {
  it('have the SPEC §1 shape: environment prefix, ≥ 32 base62 characters, 6-character checksum', () => {
    expect(generateApplicationSecret('sandbox')).toMatch(/^sk_sbx_[0-9A-Za-z]{38,}$/);
    expect(generateApplicationSecret('production')).toMatch(/^sk_prd_[0-9A-Za-z]{38,}$/);
  });

  it('are different every time', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => generateApplicationSecret('sandbox')));
    expect(secrets.size).toBe(100);
  });

  it('name the environment they were issued for', () => {
    expect(parseApplicationSecret(generateApplicationSecret('sandbox'))).toEqual({ ok: true, value: 'sandbox' });
    expect(parseApplicationSecret(generateApplicationSecret('production'))).toEqual({ ok: true, value: 'production' });
  });

  it('are rejected by the checksum when any one character is changed', () => {
    const secret = generateApplicationSecret('production');
    const prefix = 'sk_prd_'.length;
    fc.assert(
      fc.property(
        fc.integer({ min: prefix, max: secret.length - 1 }),
        fc.constantFrom(...BASE62_ALPHABET),
        (position, replacement) => {
          fc.pre(secret[position] !== replacement);
          const typo = secret.slice(0, position) + replacement + secret.slice(position + 1);
          expect(parseApplicationSecret(typo)).toMatchObject({ ok: false, reason: 'bad_checksum' });
        },
      ),
    );
  });

  it.each([
    ['truncated', (secret: string) => secret.slice(0, -1)],
    ['without its prefix', (secret: string) => secret.slice('sk_sbx_'.length)],
    ['with an unknown environment tag', (secret: string) => secret.replace('sk_sbx_', 'sk_stg_')],
    ['with surrounding space', (secret: string) => ` ${secret}`],
    ['empty', () => ''],
  ])('are rejected when %s', (_, corrupt) => {
    expect(parseApplicationSecret(corrupt(generateApplicationSecret('sandbox'))).ok).toBe(false);
  });

  it('show their last 4 characters as the hint', () => {
    const secret = generateApplicationSecret('sandbox');
    expect(secretHint(secret)).toBe(secret.slice(-4));
  });
});

describe('application IDs', () => {
  it('carry the environment tag', () => {
    expect(generateApplicationId('sandbox')).toMatch(/^app_sbx_[0-9A-Za-z]{24}$/);
    expect(environmentOfApplicationId(generateApplicationId('production'))).toBe('production');
    expect(environmentOfApplicationId('app_stg_000000000000000000000000')).toBeUndefined();
    expect(environmentOfApplicationId('someone-else')).toBeUndefined();
  });
});

describe('secret hasher', () => {
  it('verifies the secret it hashed and nothing else', async () => {
    const hasher = await createSecretHasher('p'.repeat(32));
    const secret = generateApplicationSecret('sandbox');
    const hash = await hasher.hash(secret);
    expect(hash).not.toContain(secret);
    expect(await hasher.verify(secret, hash)).toBe(true);
    expect(await hasher.verify(generateApplicationSecret('sandbox'), hash)).toBe(false);
    expect(await hasher.verify(secret, undefined)).toBe(false);
  });

  it('depends on the pepper', async () => {
    const secret = generateApplicationSecret('sandbox');
    const one = await (await createSecretHasher('a'.repeat(32))).hash(secret);
    const two = await (await createSecretHasher('b'.repeat(32))).hash(secret);
    expect(one).not.toBe(two);
  });
});
