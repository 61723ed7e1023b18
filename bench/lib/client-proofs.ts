// Fresh RFC 7523 client assertions and RFC 9449 DPoP proofs for the load, one per request: each carries a new `jti`
// (keymint refuses a replay), so they are signed as requests are built, synchronously (autocannon's setupRequest
// cannot wait), with node:crypto's ES256 as keymint's own signer on Node uses it.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { nodeCrypto } from '../../src/adapters/node/node-crypto.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientSigner {
  /** The public key: registered (with `kid`) on a private_key_jwt key, or put in a DPoP proof's header. */
  publicJwk: JWK;
  kid: string;
  sign(header: Record<string, unknown>, claims: Record<string, unknown>): string;
}

/** A new ES256 key pair and a synchronous signer over it. */
export async function createClientSigner(kid: string): Promise<ClientSigner> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const sign = await nodeCrypto.createJwtSigner(await exportJWK(privateKey), 'ES256');
  return {
    publicJwk: { kty, crv, x, y },
    kid,
    sign(header, claims) {
      const jws = sign(header as { alg: string }, claims);
      if (typeof jws !== 'string') throw new TypeError('the node:crypto signer answers synchronously');
      return jws;
    },
  };
}

/** A client assertion for `applicationId`, addressed to `audience` (the environment's issuer), valid for a minute. */
export function clientAssertion(signer: ClientSigner, applicationId: string, audience: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signer.sign(
    { alg: 'ES256', kid: signer.kid },
    { iss: applicationId, sub: applicationId, aud: audience, iat: now, exp: now + 60, jti: randomUUID() },
  );
}

/** A DPoP proof for one `htm` request to `htu`, its public key in the header. */
export function dpopProof(signer: ClientSigner, htm: string, htu: string): string {
  return signer.sign({ typ: 'dpop+jwt', alg: 'ES256', jwk: signer.publicJwk }, { htm, htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID() });
}
