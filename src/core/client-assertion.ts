// private_key_jwt (RFC 7523 §2.2, §3): verifies a client assertion against the client's registered public keys, once per jti.
import type { ClientJwks } from './client-jwks.js';
import { readJwsHeader, readJwsPayloadUnverified, verifyJwsSignature } from './jws.js';
import {
  CLIENT_SIGNING_ALGORITHMS,
  isClientSigningAlgorithm,
  keyFitsAlgorithm,
  type ClientSigningAlgorithm,
  type PublicJwk,
} from './public-jwk.js';
import type { ReplayGuard } from './replay.js';
import { assertNever, fail, ok, type Result } from '../shared/result.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SPEC §8: `exp` at most five minutes ahead. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
export const DEFAULT_ASSERTION_CLOCK_SKEW_SECONDS = 30;
const MAX_JTI_LENGTH = 512;

export type ClientAssertionFailure =
  | 'too_large'
  | 'malformed'
  | 'wrong_algorithm'
  | 'unknown_key'
  | 'bad_signature'
  | 'missing_claim'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'lifetime_too_long'
  | 'not_yet_valid'
  | 'replayed';

export interface VerifiedClientAssertion {
  alg: ClientSigningAlgorithm;
  /** The `kid` of the registered key that verified it, when that key has one. */
  kid?: string;
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
}

export interface ClientAssertionCheck {
  assertion: string;
  /** The client's registered keys. */
  jwks: ClientJwks;
  /** The application ID: both `iss` and `sub` must be it. */
  clientId: string;
  /** Accepted `aud` values: the environment's issuer and the URL of the endpoint called. */
  audiences: readonly string[];
  /** Milliseconds since the epoch. */
  now: number;
  maxLifetimeSeconds?: number;
  clockSkewSeconds?: number;
  /** Bound to this client by the caller; called only once everything else checked out. */
  replay: ReplayGuard;
}

// Assertion keys with the header's kid, or, with no kid, every key that fits the algorithm (as jose's local
// JWK Sets choose). A key that names its `alg` is used for that algorithm only.
function candidateKeys(jwks: ClientJwks, alg: ClientSigningAlgorithm, kid: unknown): Result<PublicJwk[], ClientAssertionFailure> {
  const fits = (key: PublicJwk) => keyFitsAlgorithm(key, alg) && (key.alg === undefined || key.alg === alg);
  if (kid !== undefined) {
    if (typeof kid !== 'string') return fail('malformed');
    const named = jwks.keys.filter((key) => key.kid === kid);
    if (named.length === 0) return fail('unknown_key');
    const usable = named.filter(fits);
    return usable.length > 0 ? ok(usable) : fail('wrong_algorithm');
  }
  const usable = jwks.keys.filter(fits);
  return usable.length > 0 ? ok(usable) : fail('wrong_algorithm');
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * The application ID an assertion claims to be from (`sub`, else `iss`), read without verifying it: for
 * finding the key when the request has no `client_id`. Nothing is trusted until `verifyClientAssertion`.
 */
export function readAssertionClientId(assertion: string): Result<string, 'too_large' | 'malformed'> {
  const header = readJwsHeader(assertion);
  if (!header.ok) return header;
  const claims = readJwsPayloadUnverified(assertion);
  const claimed = claims?.sub ?? claims?.iss;
  return typeof claimed === 'string' && claimed.length > 0 && claimed.length <= 256 ? ok(claimed) : fail('malformed');
}

/**
 * RFC 7523 §3 for keymint: the signature first (so a forger learns only that it failed), then `iss` =
 * `sub` = the client, `aud`, `exp` (required, at most `maxLifetimeSeconds` ahead), `nbf`/`iat` not in the
 * future, and last the `jti`, remembered until `exp` plus the skew.
 */
export async function verifyClientAssertion(check: ClientAssertionCheck): Promise<Result<VerifiedClientAssertion, ClientAssertionFailure>> {
  const maxLifetime = check.maxLifetimeSeconds ?? MAX_ASSERTION_LIFETIME_SECONDS;
  const skew = check.clockSkewSeconds ?? DEFAULT_ASSERTION_CLOCK_SKEW_SECONDS;
  const header = readJwsHeader(check.assertion);
  if (!header.ok) return header;
  const { alg, kid } = header.value;
  if (!isClientSigningAlgorithm(alg)) return fail('wrong_algorithm');
  // A DPoP proof or an access token signed by the same key is not an assertion (RFC 8725 §3.11).
  if (header.value.typ === 'dpop+jwt' || header.value.typ === 'at+jwt') return fail('malformed');
  const candidates = candidateKeys(check.jwks, alg, kid);
  if (!candidates.ok) return candidates;

  let claims: Record<string, unknown> | undefined;
  let verifiedBy: PublicJwk | undefined;
  for (const key of candidates.value) {
    const verified = await verifyJwsSignature(check.assertion, key, alg);
    if (verified.ok) {
      claims = verified.value;
      verifiedBy = key;
      break;
    }
    if (verified.reason === 'malformed') return fail('malformed');
  }
  if (!claims || !verifiedBy) return fail('bad_signature');

  for (const name of ['iss', 'sub', 'aud', 'exp', 'jti'] as const) {
    if (claims[name] === undefined) return fail('missing_claim', name);
  }
  const { iss, sub, aud, exp, iat, nbf, jti } = claims;
  if (iss !== check.clientId) return fail('wrong_issuer', 'iss');
  if (sub !== check.clientId) return fail('wrong_issuer', 'sub');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.some((value) => typeof value === 'string' && check.audiences.includes(value))) return fail('wrong_audience');
  if (!isNumericDate(exp)) return fail('malformed', 'exp');
  if ((iat !== undefined && !isNumericDate(iat)) || (nbf !== undefined && !isNumericDate(nbf))) return fail('malformed');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return fail('malformed', 'jti');

  const now = check.now / 1000;
  if (exp <= now - skew) return fail('expired');
  if (exp > now + maxLifetime + skew) return fail('lifetime_too_long', String(maxLifetime));
  if ((nbf !== undefined && nbf > now + skew) || (iat !== undefined && iat > now + skew)) return fail('not_yet_valid');
  if (!(await check.replay(jti, Math.ceil(exp + skew)))) return fail('replayed');

  const result: VerifiedClientAssertion = { alg, jti, exp };
  if (verifiedBy.kid !== undefined) result.kid = verifiedBy.kid;
  return ok(result);
}

/**
 * The `error_description` of the `invalid_client` answer: enough for the key's owner to fix the client,
 * nothing that tells a forger more than "no" (an unknown kid and a bad signature read the same).
 */
export function describeClientAssertionFailure(reason: ClientAssertionFailure, detail?: string): string {
  switch (reason) {
    case 'too_large':
      return 'the client_assertion is too large (at most 8 KiB)';
    case 'malformed':
      return 'the client_assertion is not a well-formed signed JWT with the claims RFC 7523 asks for';
    case 'wrong_algorithm':
      return `the client_assertion must be signed with ${CLIENT_SIGNING_ALGORITHMS.join(', ')} by a registered key of that type`;
    case 'unknown_key':
    case 'bad_signature':
      return "the client_assertion's signature does not verify with this client's registered keys (check kid and alg)";
    case 'missing_claim':
      return `the client_assertion must carry ${detail ?? 'iss, sub, aud, exp and jti'}`;
    case 'wrong_issuer':
      return "the client_assertion's iss and sub must both be the client_id";
    case 'wrong_audience':
      return "the client_assertion's aud must name this environment's issuer or the endpoint URL";
    case 'expired':
      return 'the client_assertion has expired';
    case 'lifetime_too_long':
      return `the client_assertion's exp must be at most ${detail ?? MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead`;
    case 'not_yet_valid':
      return "the client_assertion is not valid yet (its iat or nbf is in the future: check the client's clock)";
    case 'replayed':
      return 'this client_assertion was used before; sign a new one with a fresh jti for every request';
    default:
      return assertNever(reason);
  }
}
