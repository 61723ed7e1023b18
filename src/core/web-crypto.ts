// The core's CryptoProvider: WebCrypto, with JWTs signed by jose. The Worker uses it as is.
import { importJWK, SignJWT } from 'jose';
import type { CryptoProvider } from '../ports/crypto.js';
import { utf8 } from '../shared/encoding.js';

export const webCrypto: CryptoProvider = {
  async createHmac(key) {
    const hmacKey = await crypto.subtle.importKey('raw', utf8(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return async (message) => new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, utf8(message)));
  },
  async createJwtSigner(privateJwk, alg) {
    const key = await importJWK(privateJwk, alg);
    return (header, payload) => new SignJWT(payload).setProtectedHeader(header).sign(key);
  },
};
