// Public JWKs that clients sign with (client assertion keys, DPoP proof keys): what is accepted, and which algorithm fits which key.
import { calculateJwkThumbprint, importJWK } from 'jose';
import { fromBase64Url } from '../shared/encoding.js';
import { fail, ok, type Result } from '../shared/result.js';

/**
 * The JWS algorithms keymint accepts from clients: asymmetric only, never `none` or HS*. `Ed25519` is the
 * fully-specified name of `EdDSA` over Ed25519 (RFC 9864); oauth4webapi and openid-client sign with it.
 */
export const CLIENT_SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;
export type ClientSigningAlgorithm = (typeof CLIENT_SIGNING_ALGORITHMS)[number];

export function isClientSigningAlgorithm(value: unknown): value is ClientSigningAlgorithm {
  return typeof value === 'string' && (CLIENT_SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

export const MIN_RSA_BITS = 2048;
// RSA verification cost grows with the modulus; nothing in use needs more.
export const MAX_RSA_BITS = 8192;

interface JwkCommon {
  kid?: string;
  alg?: ClientSigningAlgorithm;
  use?: 'sig';
}
export type EcPublicJwk = JwkCommon & { kty: 'EC'; crv: 'P-256'; x: string; y: string };
export type OkpPublicJwk = JwkCommon & { kty: 'OKP'; crv: 'Ed25519'; x: string };
export type RsaPublicJwk = JwkCommon & { kty: 'RSA'; n: string; e: string };
/** A public signing key with only its public members, as keymint stores and compares it. */
export type PublicJwk = EcPublicJwk | OkpPublicJwk | RsaPublicJwk;

export type PublicJwkProblem =
  | 'not_an_object'
  | 'private_key'
  | 'symmetric_key'
  | 'unsupported_key_type'
  | 'unsupported_curve'
  | 'bad_member'
  | 'rsa_size'
  | 'unsupported_algorithm'
  | 'wrong_use';

// Members that only a private (or symmetric) JWK has, RFC 7518 §6.2.2, §6.3.2 and §6.4.1.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// Visible ASCII and space: a kid is shown in the console and the CLI, so no control characters.
const KID = /^[\x20-\x7e]{1,128}$/;

/** The first member only a private (or symmetric) JWK has, if any. */
export function privateMemberOf(jwk: Record<string, unknown>): string | undefined {
  return PRIVATE_MEMBERS.find((name) => Object.hasOwn(jwk, name));
}

/** Whether `alg` signs with a key of this type and curve. */
export function keyFitsAlgorithm(jwk: PublicJwk, alg: ClientSigningAlgorithm): boolean {
  switch (alg) {
    case 'ES256':
      return jwk.kty === 'EC';
    case 'EdDSA':
    case 'Ed25519':
      return jwk.kty === 'OKP';
    case 'RS256':
    case 'PS256':
      return jwk.kty === 'RSA';
  }
}

function base64UrlBytes(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length > 2048 || !BASE64URL.test(value)) return undefined;
  // A length of 1 mod 4 is no whole number of bytes.
  if (value.length % 4 === 1) return undefined;
  return fromBase64Url(value);
}

/** The size of an RSA key's modulus in bits. */
export function rsaKeyBits(jwk: RsaPublicJwk): number {
  return rsaModulusBits(fromBase64Url(jwk.n));
}

function rsaModulusBits(modulus: Uint8Array): number {
  let start = 0;
  while (start < modulus.length && modulus[start] === 0) start++;
  if (start === modulus.length) return 0;
  return (modulus.length - start - 1) * 8 + (32 - Math.clz32(modulus[start]!));
}

function member(jwk: Record<string, unknown>, name: string, bytes: number): Result<string, PublicJwkProblem> {
  const decoded = base64UrlBytes(jwk[name]);
  if (decoded?.length !== bytes) return fail('bad_member', `"${name}" must be ${bytes} bytes, base64url-encoded`);
  return ok(jwk[name] as string);
}

function keyMaterial(jwk: Record<string, unknown>): Result<PublicJwk, PublicJwkProblem> {
  switch (jwk.kty) {
    case 'EC': {
      if (jwk.crv !== 'P-256') return fail('unsupported_curve', 'EC keys must use crv "P-256"');
      const x = member(jwk, 'x', 32);
      if (!x.ok) return x;
      const y = member(jwk, 'y', 32);
      if (!y.ok) return y;
      return ok({ kty: 'EC', crv: 'P-256', x: x.value, y: y.value });
    }
    case 'OKP': {
      if (jwk.crv !== 'Ed25519') return fail('unsupported_curve', 'OKP keys must use crv "Ed25519"');
      const x = member(jwk, 'x', 32);
      if (!x.ok) return x;
      return ok({ kty: 'OKP', crv: 'Ed25519', x: x.value });
    }
    case 'RSA': {
      const modulus = base64UrlBytes(jwk.n);
      if (!modulus) return fail('bad_member', '"n" must be the base64url-encoded modulus');
      const bits = rsaModulusBits(modulus);
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
        return fail('rsa_size', `RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits (this one has ${bits})`);
      }
      const exponent = base64UrlBytes(jwk.e);
      // An exponent of 1 (or any even one) would make signatures trivial to forge or impossible to check.
      let value = 0;
      for (const byte of exponent ?? []) value = value * 256 + byte;
      if (!exponent || exponent.length > 4 || value < 3 || value % 2 === 0) {
        return fail('bad_member', '"e" must be an odd public exponent of at least 3 (usually "AQAB")');
      }
      return ok({ kty: 'RSA', n: jwk.n as string, e: jwk.e as string });
    }
    case 'oct':
      return fail('symmetric_key', 'symmetric keys (kty "oct") are not accepted; use an EC P-256, Ed25519 or RSA public key');
    default:
      return fail('unsupported_key_type', 'kty must be "EC" (P-256), "OKP" (Ed25519) or "RSA"');
  }
}

/**
 * Checks one JWK as a client submits it and keeps only its public members (`kty`, `crv`, `x`, `y`, `n`,
 * `e`, `kid`, `alg`, `use`). A private key is refused, not stripped: whoever pasted it has exposed it.
 */
export function checkPublicJwk(value: unknown): Result<PublicJwk, PublicJwkProblem> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not_an_object', 'a JWK must be a JSON object');
  const jwk = value as Record<string, unknown>;
  const privateMember = privateMemberOf(jwk);
  if (privateMember !== undefined && jwk.kty !== 'oct') {
    return fail('private_key', `this is a private key (it has "${privateMember}"); submit only its public part`);
  }
  const material = keyMaterial(jwk);
  if (!material.ok) return material;
  const key: PublicJwk = material.value;
  if (jwk.kid !== undefined) {
    if (typeof jwk.kid !== 'string' || !KID.test(jwk.kid)) {
      return fail('bad_member', '"kid" must be 1 to 128 visible ASCII characters');
    }
    key.kid = jwk.kid;
  }
  if (jwk.use !== undefined) {
    if (jwk.use !== 'sig') return fail('wrong_use', '"use" must be "sig" when present');
    key.use = 'sig';
  }
  if (jwk.alg !== undefined) {
    if (!isClientSigningAlgorithm(jwk.alg) || !keyFitsAlgorithm(key, jwk.alg)) {
      return fail('unsupported_algorithm', `"alg" must be one of ${CLIENT_SIGNING_ALGORITHMS.join(', ')} and fit the key type`);
    }
    key.alg = jwk.alg;
  }
  return ok(key);
}

/** The algorithm a key is checked under when it names none. */
export function defaultAlgorithm(jwk: PublicJwk): ClientSigningAlgorithm {
  if (jwk.alg !== undefined) return jwk.alg;
  return jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'OKP' ? 'Ed25519' : 'RS256';
}

/** The key as WebCrypto holds it for verifying `alg`, or undefined when WebCrypto refuses it (a point off its curve). */
export async function importPublicJwk(jwk: PublicJwk, alg: ClientSigningAlgorithm): Promise<CryptoKey | undefined> {
  try {
    return (await importJWK({ ...jwk, alg }, alg)) as CryptoKey;
  } catch {
    return undefined;
  }
}

/** The RFC 7638 SHA-256 thumbprint: the key's identity for display and for DPoP's `cnf.jkt`. */
export function jwkThumbprint(jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/** The members RFC 7638 hashes, in order: two keys with the same material compare equal whatever else they carry. */
export function jwkMaterial(jwk: PublicJwk): string {
  switch (jwk.kty) {
    case 'EC':
      return JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
    case 'OKP':
      return JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
    case 'RSA':
      return JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  }
}
