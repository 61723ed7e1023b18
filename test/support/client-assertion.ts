// A private_key_jwt client for tests: a key pair with its public and private JWKs, and an RFC 7523 assertion it signs.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Gateway } from './gateway.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AssertionSigner {
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  alg: 'ES256' | 'EdDSA' | 'RS256';
  kid: string;
}

export async function createAssertionSigner(alg: AssertionSigner['alg'], kid: string): Promise<AssertionSigner> {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid }, privateJwk: { ...(await exportJWK(privateKey)), kid }, alg, kid };
}

/** A client_credentials request at `environment`'s token endpoint with a fresh assertion for `applicationId`, signed by `by`. */
export async function requestWithAssertion(gateway: Gateway, environment: 'sandbox' | 'production', applicationId: string, by: AssertionSigner) {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ iss: applicationId, sub: applicationId, aud: gateway.issuer(environment), iat: now, exp: now + 60, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: by.alg, kid: by.kid })
    .sign(by.privateKey);
  return gateway.fetch(`/${environment}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }),
  });
}
