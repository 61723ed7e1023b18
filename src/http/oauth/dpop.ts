// DPoP (RFC 9449) on the wire: reading the `DPoP` header, and wording core's refusals for the token endpoint (400) and for resources (401 + a DPoP challenge).
import type { Context } from 'hono';
import { DPOP_SIGNING_ALGORITHMS, answerDpopRefusal, type DpopRefusal } from '../../core/dpop.js';
import type { DpopProofs } from '../../core/dpop-proofs.js';
import type { Environment } from '../../shared/domain.js';
import { OAuthError } from '../errors/oauth-error.js';

/** The request's `DPoP` header; two of them arrive joined by a comma, which no proof verifies as. */
export function readDpopProof(c: Context): string | undefined {
  return c.req.header('dpop');
}

function nonceHeader(nonce: string | undefined): Record<string, string> {
  return nonce === undefined ? {} : { 'DPoP-Nonce': nonce };
}

/** At the token endpoint: 400 `invalid_dpop_proof`, or `use_dpop_nonce` with a nonce to sign the next proof with. */
export function tokenRequestDpopRefusal(reason: DpopRefusal, detail: string | undefined, nonce?: string): OAuthError {
  const { error, description } = answerDpopRefusal(reason, detail);
  return new OAuthError(400, error, description, error === 'use_dpop_nonce' ? nonceHeader(nonce) : {}, `dpop_${reason}`);
}

/**
 * At a resource (the proxy, tokeninfo, `sessionAuth`): 401 with `WWW-Authenticate: DPoP error=…` naming the
 * accepted algorithms (RFC 9449 §7.1), and a `DPoP-Nonce` when a nonce is what is missing.
 */
export function resourceDpopRefusal(environment: Environment, reason: DpopRefusal, detail: string | undefined, nonce?: string): OAuthError {
  const { error, description } = answerDpopRefusal(reason, detail);
  return dpopChallenge(environment, error, description, error === 'use_dpop_nonce' ? nonce : undefined);
}

/** A 401 for a request that used the DPoP scheme, challenged as RFC 9449 §7.1 says. */
export function dpopChallenge(environment: Environment, error: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce', description: string, nonce?: string): OAuthError {
  // Descriptions are printable ASCII without `"` or `\` (core/dpop.ts's unit tests check every one).
  const challenge = `DPoP realm="${environment}", error="${error}", error_description="${description}", algs="${DPOP_SIGNING_ALGORITHMS.join(' ')}"`;
  return new OAuthError(401, error, description, { 'WWW-Authenticate': challenge, ...nonceHeader(nonce) });
}

/**
 * The one check every keymint resource makes of a presented access token (the proxy on both of its paths,
 * tokeninfo): the scheme fits the token's binding and a DPoP token comes with a proof for this very request.
 * Throws the 401; answers the fresh `DPoP-Nonce` the answer should carry, if any.
 */
export async function checkTokenPresentation(
  dpop: DpopProofs,
  environment: Environment,
  presented: Parameters<DpopProofs['verifyPresentation']>[1],
): Promise<string | undefined> {
  const accepted = await dpop.verifyPresentation(environment, presented);
  if (accepted.ok) return accepted.value.freshNonce;
  const nonce = accepted.reason === 'use_nonce' ? await dpop.issueNonce(environment) : undefined;
  throw resourceDpopRefusal(environment, accepted.reason, accepted.detail, nonce);
}
