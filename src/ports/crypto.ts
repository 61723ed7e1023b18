// The two cryptographic operations on the token endpoint's hot path, as the runtime does them best.
// The core's own implementation (core/web-crypto.ts) is WebCrypto through jose and runs everywhere;
// Node passes node:crypto's synchronous equivalents, which cost a fraction of the CPU on Node 20.
import type { JWK, JWTHeaderParameters, JWTPayload } from 'jose';

/** HMAC-SHA-256 under one fixed key. */
export type Hmac = (message: string) => Uint8Array | Promise<Uint8Array>;

/** Produces the compact JWS (a signed JWT) of `header` and `payload` with one fixed private key. */
export type JwtSigner = (header: JWTHeaderParameters, payload: JWTPayload) => string | Promise<string>;

export interface CryptoProvider {
  createHmac(key: string): Promise<Hmac>;
  /** Imports an ES256 or EdDSA private key given as a JWK. */
  createJwtSigner(privateJwk: JWK, alg: string): Promise<JwtSigner>;
}
