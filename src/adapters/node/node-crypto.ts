// node:crypto's synchronous HMAC and signatures. On Node 20 a WebCrypto call goes through the libuv
// thread pool and promise machinery: an ES256 signature costs ~300 µs of CPU that way and ~60 µs
// here, an HMAC ~170 µs against ~7 µs (bench/README.md, "Profiling"). Same algorithms, same bytes
// for HMAC, and tokens that jose verifies exactly like the core's (node-crypto.test.ts).
import { createHmac, createPrivateKey, createSecretKey, sign } from 'node:crypto';
import type { CryptoProvider } from '../../ports/crypto.js';

const base64url = (text: string) => Buffer.from(text).toString('base64url');

export const nodeCrypto: CryptoProvider = {
  async createHmac(key) {
    const hmacKey = createSecretKey(Buffer.from(key, 'utf8'));
    return (message) => createHmac('sha256', hmacKey).update(message, 'utf8').digest();
  },
  async createJwtSigner(privateJwk, alg) {
    if (alg !== 'ES256' && alg !== 'EdDSA') throw new Error(`unsupported signing algorithm ${alg}`);
    const key = createPrivateKey({ key: privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    // ES256 hashes with SHA-256 and encodes r‖s (IEEE P1363, as JWS wants); Ed25519 signs the message itself.
    const digest = alg === 'ES256' ? 'sha256' : null;
    return (header, payload) => {
      const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
      const signature = sign(digest, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
      return `${signingInput}.${signature.toString('base64url')}`;
    };
  },
};
