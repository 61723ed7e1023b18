// Hand-made DPoP proofs (RFC 9449 §4.2) with jose, for the hostile cases no client library would send.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { sha256Base64Url } from '../../src/core/digest.js';

export interface ProofKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  alg: string;
  /** RFC 7638 thumbprint: what a token bound to this key carries as cnf.jkt. */
  jkt: string;
}

export async function proofKey(alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk, alg, jkt: await calculateJwkThumbprint(publicJwk) };
}

export interface ProofOptions {
  htm: string;
  htu: string;
  /** The access token the proof goes with (sets `ath`). */
  accessToken?: string;
  /** Seconds since the epoch; default now. */
  iat?: number;
  jti?: string;
  nonce?: string;
  /** Replaces or adds header members (`alg`, `typ`, `jwk`). */
  header?: Record<string, unknown>;
  /** Replaces or adds claims. */
  claims?: Record<string, unknown>;
}

/** A DPoP proof signed with `key`, as RFC 9449 §4.2 shapes it unless `options` says otherwise. */
export async function signProof(key: ProofKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    jti: options.jti ?? crypto.randomUUID(),
    ...(options.accessToken !== undefined && { ath: await sha256Base64Url(options.accessToken) }),
    ...(options.nonce !== undefined && { nonce: options.nonce }),
    ...options.claims,
  };
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** An unsecured JWT (`alg: none`) shaped as a proof: header.payload. with an empty signature. */
export function unsecuredProof(key: ProofKey, options: ProofOptions): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { htm: options.htm, htu: options.htu, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() };
  return `${encode({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${encode(claims)}.`;
}

/** A proof MACed with HS256 over a key the attacker chose, its "jwk" an oct key. */
export async function symmetricProof(options: ProofOptions): Promise<string> {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const jwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
  return new SignJWT({ htm: options.htm, htu: options.htu, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk } as { alg: string })
    .sign(secret);
}

/**
 * A fetch for outside clients that address keymint by its public URL (`publicOrigin`, what KEYMINT_PUBLIC_URL
 * says) while the test gateway listens on loopback: the load balancer in front of it, in one function.
 */
export function behindPublicUrl(publicOrigin: string, listening: string) {
  // The init as the client libraries type theirs (a body may be a Uint8Array), which fetch takes as it is.
  return (url: string, init?: { method?: string; headers?: HeadersInit; body?: unknown; redirect?: RequestRedirect; signal?: AbortSignal | null }) =>
    fetch(url.replace(publicOrigin, listening), init as RequestInit);
}
