// DPoP (RFC 9449): a proof checked for one request (§4.3), a token's binding to the proof's key (§6, §7), and each refusal's wire answer.
import { sha256Base64Url } from './digest.js';
import type { DpopNonces, DpopNonceStanding } from './dpop-nonce.js';
import { readJwsHeader, verifyJwsSignature } from './jws.js';
import {
  checkPublicJwk,
  CLIENT_SIGNING_ALGORITHMS,
  isClientSigningAlgorithm,
  jwkThumbprint,
  keyFitsAlgorithm,
  type ClientSigningAlgorithm,
} from './public-jwk.js';
import type { ReplayGuard } from './replay.js';
import { assertNever, fail, ok, type Result } from '../shared/result.js';

/** For discovery's `dpop_signing_alg_values_supported`: the same asymmetric set as client assertions. */
export const DPOP_SIGNING_ALGORITHMS = CLIENT_SIGNING_ALGORITHMS;
/** SPEC §8: `iat` within 60 s. */
export const DEFAULT_DPOP_MAX_AGE_SECONDS = 60;
/** How far ahead of ours a client's clock may run. */
export const DEFAULT_DPOP_CLOCK_SKEW_SECONDS = 15;
const MAX_JTI_LENGTH = 512;
const MAX_NONCE_LENGTH = 256;

export type DpopProofFailure =
  | 'too_large'
  | 'malformed'
  | 'wrong_type'
  | 'wrong_algorithm'
  | 'invalid_jwk'
  | 'private_key'
  | 'bad_signature'
  | 'missing_claim'
  | 'wrong_method'
  | 'wrong_url'
  | 'stale'
  | 'from_future'
  | 'wrong_ath'
  | 'use_nonce'
  | 'replayed';

export interface DpopProofCheck {
  /** The `DPoP` header's value (one header; two joined by a comma are malformed). */
  proof: string;
  /** The request's method, as `htm` must name it. */
  method: string;
  /** The request's URL as the client addressed it: keymint's public URL, not the one behind a load balancer. */
  url: string;
  /** At a resource: the access token the proof goes with; `ath` is then required. */
  accessToken?: string;
  /** Milliseconds since the epoch. */
  now: number;
  maxAgeSeconds?: number;
  clockSkewSeconds?: number;
  /** Bound to the environment by the caller; called only once everything else checked out. */
  replay: ReplayGuard;
  /** When server nonces are on (off by default): every proof must carry a valid one. */
  nonces?: DpopNonces;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the token's `cnf.jkt`. */
  jkt: string;
  jti: string;
  iat: number;
  alg: ClientSigningAlgorithm;
  /** With nonces on: `recent` means the answer should carry a fresh `DPoP-Nonce`. */
  nonce?: Exclude<DpopNonceStanding, 'invalid'>;
}

// RFC 3986 §6.2.2.1-2: hex digits of percent-encodings in upper case, unreserved characters decoded.
function normalizePercentEncoding(path: string): string {
  return path.replace(/%[0-9a-fA-F]{2}/g, (encoded) => {
    const char = String.fromCharCode(parseInt(encoded.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded.toUpperCase();
  });
}

/**
 * The form `htu` is compared in (RFC 9449 §4.3): an http(s) URI without query, fragment or user info,
 * with scheme and host in lower case, no default port, dot segments resolved and percent-encodings
 * normalised. Undefined when it is no such URI.
 */
export function normalizeHtu(value: string): string | undefined {
  if (value.length > 8192) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return undefined;
  return `${url.origin}${normalizePercentEncoding(url.pathname)}`;
}

function readClaims(claims: Record<string, unknown>): Result<{ jti: string; htm: string; htu: string; iat: number }, DpopProofFailure> {
  for (const name of ['jti', 'htm', 'htu', 'iat'] as const) {
    if (claims[name] === undefined) return fail('missing_claim', name);
  }
  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return fail('malformed', 'jti');
  if (typeof htm !== 'string' || typeof htu !== 'string') return fail('malformed', 'htm');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('malformed', 'iat');
  return ok({ jti, htm, htu, iat });
}

/** RFC 9449 §4.3, checks 1-11, in that order; the `jti` is spent only by a proof that passed every other check. */
export async function verifyDpopProof(check: DpopProofCheck): Promise<Result<VerifiedDpopProof, DpopProofFailure>> {
  const maxAge = check.maxAgeSeconds ?? DEFAULT_DPOP_MAX_AGE_SECONDS;
  const skew = check.clockSkewSeconds ?? DEFAULT_DPOP_CLOCK_SKEW_SECONDS;
  const expectedHtu = normalizeHtu(check.url);
  if (expectedHtu === undefined) throw new TypeError(`not an http(s) URL: ${check.url}`);

  const header = readJwsHeader(check.proof);
  if (!header.ok) return header;
  const { typ, alg, jwk } = header.value;
  if (typ !== 'dpop+jwt') return fail('wrong_type');
  if (!isClientSigningAlgorithm(alg)) return fail('wrong_algorithm');
  if (jwk === undefined) return fail('invalid_jwk', 'missing');
  const key = checkPublicJwk(jwk);
  if (!key.ok) return fail(key.reason === 'private_key' ? 'private_key' : 'invalid_jwk', key.detail);
  if (!keyFitsAlgorithm(key.value, alg)) return fail('wrong_algorithm');
  const verified = await verifyJwsSignature(check.proof, key.value, alg);
  if (!verified.ok) return fail(verified.reason === 'invalid_key' ? 'invalid_jwk' : verified.reason);

  const claims = readClaims(verified.value);
  if (!claims.ok) return claims;
  const { jti, htm, htu, iat } = claims.value;
  if (htm !== check.method) return fail('wrong_method');
  if (normalizeHtu(htu) !== expectedHtu) return fail('wrong_url');
  const now = check.now / 1000;
  if (iat < now - maxAge) return fail('stale', String(maxAge));
  if (iat > now + skew) return fail('from_future');
  if (check.accessToken !== undefined) {
    if (verified.value.ath !== (await sha256Base64Url(check.accessToken))) return fail('wrong_ath');
  }

  let nonce: VerifiedDpopProof['nonce'];
  if (check.nonces) {
    const presented = verified.value.nonce;
    if (typeof presented !== 'string' || presented.length > MAX_NONCE_LENGTH) return fail('use_nonce', 'missing');
    const standing = await check.nonces.check(presented, check.now);
    if (standing === 'invalid') return fail('use_nonce', 'invalid');
    nonce = standing;
  }

  const jkt = await jwkThumbprint(key.value);
  // Accepted while iat >= now - maxAge: remembered past the last second it could be.
  if (!(await check.replay(jti, Math.floor(iat + maxAge) + 1))) return fail('replayed');
  const result: VerifiedDpopProof = { jkt, jti, iat, alg };
  if (nonce !== undefined) result.nonce = nonce;
  return ok(result);
}

export type DpopBindingFailure = 'bound_token_as_bearer' | 'unbound_token_as_dpop' | 'proof_required' | 'key_mismatch';

/**
 * RFC 9449 §7: a token with `cnf.jkt` is accepted only as `Authorization: DPoP` with a proof by that key
 * (already verified, `proofJkt`); a token without one only as `Bearer`.
 */
export function checkDpopBinding(presented: {
  scheme: 'Bearer' | 'DPoP';
  cnf?: { jkt?: unknown } | undefined;
  proofJkt?: string | undefined;
}): Result<void, DpopBindingFailure> {
  const boundTo = presented.cnf?.jkt;
  if (presented.scheme === 'Bearer') return boundTo === undefined ? ok(undefined) : fail('bound_token_as_bearer');
  if (typeof boundTo !== 'string') return fail('unbound_token_as_dpop');
  if (presented.proofJkt === undefined) return fail('proof_required');
  return presented.proofJkt === boundTo ? ok(undefined) : fail('key_mismatch');
}

export type DpopRefusal = DpopProofFailure | DpopBindingFailure;

/** An access token presented at a resource (the proxy, tokeninfo, `sessionAuth`), with what came with it. */
export interface DpopPresentation {
  /** The Authorization scheme the token came under. */
  scheme: 'Bearer' | 'DPoP';
  accessToken: string;
  /** The verified token's `cnf`. */
  cnf?: { jkt?: unknown } | undefined;
  /** The `DPoP` header, when the request had one. */
  proof: string | undefined;
  /** The request's method and URL as the client addressed it (the public URL, path without query). */
  method: string;
  url: string;
  now: number;
  replay: ReplayGuard;
  nonces?: DpopNonces | undefined;
  maxAgeSeconds?: number;
}

/**
 * RFC 9449 §7 at a resource: a bound token only as `Authorization: DPoP` with a proof for this very request
 * (`htm`, `htu`, `iat`, `ath`, an unseen `jti`) by the key it is bound to; an unbound one only as `Bearer`
 * (a `DPoP` header beside a bearer token is ignored, RFC 9449 §7.2). The binding is checked before the proof,
 * so a refused presentation spends no `jti`. Answers the verified proof, or undefined for a bearer token.
 */
export async function verifyDpopPresentation(presented: DpopPresentation): Promise<Result<VerifiedDpopProof | undefined, DpopRefusal>> {
  const { scheme, cnf } = presented;
  if (scheme === 'Bearer') {
    const binding = checkDpopBinding({ scheme, cnf });
    return binding.ok ? ok(undefined) : binding;
  }
  const unproven = checkDpopBinding({ scheme, cnf, proofJkt: undefined });
  if (!unproven.ok && unproven.reason !== 'proof_required') return unproven;
  if (presented.proof === undefined) return fail('proof_required');
  const check: DpopProofCheck = {
    proof: presented.proof,
    method: presented.method,
    url: presented.url,
    accessToken: presented.accessToken,
    now: presented.now,
    replay: presented.replay,
  };
  if (presented.nonces) check.nonces = presented.nonces;
  if (presented.maxAgeSeconds !== undefined) check.maxAgeSeconds = presented.maxAgeSeconds;
  const proof = await verifyDpopProof(check);
  if (!proof.ok) return proof;
  const binding = checkDpopBinding({ scheme, cnf, proofJkt: proof.value.jkt });
  return binding.ok ? ok(proof.value) : binding;
}

/** The wire answer: at the token endpoint a 400, at a resource a 401 with `WWW-Authenticate: DPoP error=…`. */
export interface DpopRefusalAnswer {
  error: 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token';
  description: string;
}

export function answerDpopRefusal(reason: DpopRefusal, detail?: string): DpopRefusalAnswer {
  const proof = (description: string): DpopRefusalAnswer => ({ error: 'invalid_dpop_proof', description });
  switch (reason) {
    case 'too_large':
      return proof('the DPoP proof is too large (at most 8 KiB)');
    case 'malformed':
      return proof('the DPoP proof is not a well-formed signed JWT with jti, htm, htu and iat');
    case 'wrong_type':
      return proof("the DPoP proof's typ must be dpop+jwt");
    case 'wrong_algorithm':
      return proof(`the DPoP proof must be signed with ${DPOP_SIGNING_ALGORITHMS.join(', ')} by the key in its jwk header`);
    case 'invalid_jwk':
      return proof("the DPoP proof's jwk header must be an EC P-256, Ed25519 or RSA (2048 bits or more) public key");
    case 'private_key':
      return proof("the DPoP proof's jwk header holds a private key: send only the public key, and replace this key pair");
    case 'bad_signature':
      return proof("the DPoP proof's signature does not verify with the key in its jwk header");
    case 'missing_claim':
      return proof(`the DPoP proof must carry ${detail ?? 'jti, htm, htu and iat'}`);
    case 'wrong_method':
      return proof("the DPoP proof's htm does not match the request method");
    case 'wrong_url':
      return proof("the DPoP proof's htu does not match the request URL");
    case 'stale':
      return proof(`the DPoP proof's iat is more than ${detail ?? DEFAULT_DPOP_MAX_AGE_SECONDS} seconds old; make a fresh proof for every request`);
    case 'from_future':
      return proof("the DPoP proof's iat is in the future: check the client's clock");
    case 'wrong_ath':
      return proof("the DPoP proof's ath must be the base64url SHA-256 hash of the access token sent with it");
    case 'use_nonce':
      return { error: 'use_dpop_nonce', description: 'a DPoP nonce is required: sign a new proof with the nonce from the DPoP-Nonce header' };
    case 'replayed':
      return proof('this DPoP proof was used before; make a fresh proof (a new jti) for every request');
    case 'proof_required':
      return proof('a DPoP proof (the DPoP header) is required here');
    case 'key_mismatch':
      return proof('the DPoP proof is not signed with the key this access token is bound to');
    case 'bound_token_as_bearer':
      return { error: 'invalid_token', description: 'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof' };
    case 'unbound_token_as_dpop':
      return { error: 'invalid_token', description: 'this access token is not DPoP-bound: send it as Authorization: Bearer' };
    default:
      return assertNever(reason);
  }
}
