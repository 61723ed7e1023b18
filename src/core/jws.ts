// Compact JWS from clients (assertions, DPoP proofs): size-bounded before parsing, signature checked by jose with one algorithm.
import { compactVerify, decodeJwt, decodeProtectedHeader, errors, type ProtectedHeaderParameters } from 'jose';
import { fail, ok, type Result } from '../shared/result.js';
import { importPublicJwk, type ClientSigningAlgorithm, type PublicJwk } from './public-jwk.js';

/** Larger is refused before any parsing: an assertion or proof with an RSA-8192 key in it is well under this. */
export const MAX_CLIENT_JWS_LENGTH = 8192;

// The signature may be empty so that an unsecured JWT (`alg: none`) is answered as a wrong algorithm.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export type JwsShapeProblem = 'too_large' | 'malformed';

/** The protected header of a compact JWS, read without verifying anything. */
export function readJwsHeader(text: string): Result<ProtectedHeaderParameters, JwsShapeProblem> {
  if (text.length > MAX_CLIENT_JWS_LENGTH) return fail('too_large');
  if (!COMPACT_JWS.test(text)) return fail('malformed');
  try {
    return ok(decodeProtectedHeader(text));
  } catch {
    return fail('malformed');
  }
}

/** The claims of a JWS shaped as `readJwsHeader` accepts, read without verifying anything; a JSON object or nothing. */
export function readJwsPayloadUnverified(text: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(text);
  } catch {
    return undefined;
  }
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Verifies the signature of `text` with `jwk` under exactly `alg` and answers its payload, which must be
 * a JSON object. `invalid_key` is a key WebCrypto will not import (a point off the curve).
 */
export async function verifyJwsSignature(
  text: string,
  jwk: PublicJwk,
  alg: ClientSigningAlgorithm,
): Promise<Result<Record<string, unknown>, 'bad_signature' | 'malformed' | 'invalid_key'>> {
  const key = await importPublicJwk(jwk, alg);
  if (!key) return fail('invalid_key');
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(text, key, { algorithms: [alg] }));
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) return fail('bad_signature');
    if (error instanceof errors.JOSEError) return fail('malformed');
    throw error;
  }
  try {
    const claims = jsonObject(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(payload));
    return claims ? ok(claims) : fail('malformed');
  } catch {
    return fail('malformed');
  }
}
