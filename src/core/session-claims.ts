// The claims of a keymint session token (RFC 9068) and the one schema every verifier checks them against.
import * as z from 'zod';
import { ENVIRONMENTS, type Environment } from '../shared/domain.js';
import { isScopeToken } from './scopes.js';

export interface SessionClaims {
  iss: string;
  sub: string;
  client_id: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  scope: string;
  env: Environment;
  acct: string;
  /**
   * The key's stable id (`key_…`, no secret): what the proxy meters a call against (SPEC §7), since `client_id`
   * changes when the key is regenerated. Absent from tokens minted before keymint carried it.
   */
  key?: string;
}

// Identifiers go into X-Keymint-* headers and log lines: visible ASCII only, so no CR/LF, no space, nothing
// a header cannot carry (keymint's own are `app_sbx_…`, `acct_…` and base62).
const identifier = z.string().regex(/^[\x21-\x7e]{1,256}$/);
// RFC 6749 §3.3: scope tokens separated by single spaces; empty for a key that holds no scope.
const scope = z.string().refine((value) => value === '' || value.split(' ').every(isScopeToken));
const seconds = z.number().int().nonnegative();

/**
 * A signature proves who wrote the claims, not that they are what keymint writes: a token signed with an
 * environment's key (by an older version, a bug, or a stolen key) with `scope` as an array, CR/LF in
 * `client_id` or no `acct` must be refused like any other bad token, not reach code that trusts the types.
 * Unknown claims are dropped from the result. Used by the core's stateless verification and by `sessionAuth`.
 */
export const sessionClaimsSchema: z.ZodType<SessionClaims> = z.object({
  iss: z.string(),
  sub: identifier,
  client_id: identifier,
  aud: z.string(),
  iat: seconds,
  exp: seconds,
  jti: identifier,
  scope,
  env: z.enum(ENVIRONMENTS),
  acct: identifier,
  key: identifier.optional(),
});

/** The payload as session claims, or undefined when any claim is missing or not of its kind. */
export function readSessionClaims(payload: unknown): SessionClaims | undefined {
  const parsed = sessionClaimsSchema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}
