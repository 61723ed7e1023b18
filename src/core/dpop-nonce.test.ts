import { describe, expect, it } from 'vitest';
import { createDpopNonces } from './dpop-nonce.js';
import { webCrypto } from './web-crypto.js';

const SECRET = 'dpop-nonce-test-secret-0123456789abcdef';
const T = Date.UTC(2026, 5, 1, 12, 0, 0); // the start of a 60 s window
const minutes = (count: number) => count * 60_000;

describe('createDpopNonces', () => {
  it('accepts on one node a nonce another node issued, with no shared state but the key', async () => {
    const nodeA = createDpopNonces(await webCrypto.createHmac(SECRET), { context: 'sandbox' });
    const nodeB = createDpopNonces(await webCrypto.createHmac(SECRET), { context: 'sandbox' });
    const nonce = await nodeA.issue(T);
    expect(nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/); // RFC 9449 §8.1 NQCHAR
    expect(await nodeB.check(nonce, T + 1_000)).toBe('current');
    expect(await nodeB.issue(T + 59_000)).toBe(nonce);
  });

  it('keeps a nonce for the next window as recent, then refuses it', async () => {
    const nonces = createDpopNonces(await webCrypto.createHmac(SECRET), { context: 'sandbox' });
    const nonce = await nonces.issue(T);
    expect(await nonces.check(nonce, T + minutes(1))).toBe('recent');
    expect(await nonces.check(nonce, T + minutes(2))).toBe('invalid');
    expect(await nonces.check(nonce, T + minutes(60))).toBe('invalid');
  });

  it('accepts a nonce from a node whose clock is a window ahead, not two', async () => {
    const nonces = createDpopNonces(await webCrypto.createHmac(SECRET), { context: 'sandbox' });
    expect(await nonces.check(await nonces.issue(T + minutes(1)), T)).toBe('current');
    expect(await nonces.check(await nonces.issue(T + minutes(2)), T)).toBe('invalid');
  });

  it('refuses a nonce under another key, of another environment, altered, or made up', async () => {
    const sandbox = createDpopNonces(await webCrypto.createHmac(SECRET), { context: 'sandbox' });
    const production = createDpopNonces(await webCrypto.createHmac(SECRET), { context: 'production' });
    const otherKey = createDpopNonces(await webCrypto.createHmac(`${SECRET}!`), { context: 'sandbox' });
    const nonce = await sandbox.issue(T);
    expect(await production.check(nonce, T)).toBe('invalid');
    expect(await otherKey.check(nonce, T)).toBe('invalid');
    const [window, mac] = nonce.split('.');
    const flipped = `${window}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`;
    expect(await sandbox.check(flipped, T)).toBe('invalid');
    expect(await sandbox.check(`${window}`, T)).toBe('invalid');
    expect(await sandbox.check('', T)).toBe('invalid');
    expect(await sandbox.check(`${window}.${mac}x`, T)).toBe('invalid');
  });

  it('with a longer window, lives that much longer', async () => {
    const nonces = createDpopNonces(await webCrypto.createHmac(SECRET), { context: 'sandbox', windowSeconds: 300 });
    const nonce = await nonces.issue(T);
    expect(await nonces.check(nonce, T + minutes(9))).not.toBe('invalid');
    expect(() => createDpopNonces(async () => new Uint8Array(32), { context: 'x', windowSeconds: 0 })).toThrow(TypeError);
  });
});
