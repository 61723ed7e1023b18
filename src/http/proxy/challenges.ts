// RFC 6750 §3 answers for protected resources: 401 invalid_token, 403 insufficient_scope — challenged in the scheme
// the caller used, so a DPoP caller gets a DPoP challenge (RFC 9449 §7.1) and a bearer caller a Bearer one.
import { DPOP_SIGNING_ALGORITHMS } from '../../core/dpop.js';
import type { Environment } from '../../shared/domain.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { AccessTokenScheme } from '../oauth/bearer.js';

export { invalidToken } from '../oauth/bearer.js';

/** 403 naming every scope the resource needs (not only the missing ones), as RFC 6750 §3 asks. */
export function insufficientScope(environment: Environment, required: readonly string[], scheme: AccessTokenScheme = 'Bearer'): OAuthError {
  const scope = required.join(' ');
  const description = `this resource requires the scope "${scope}"`.replace(/"/g, "'");
  const algs = scheme === 'DPoP' ? `, algs="${DPOP_SIGNING_ALGORITHMS.join(' ')}"` : '';
  const challenge = `${scheme} realm="${environment}", error="insufficient_scope", error_description="${description}", scope="${scope}"${algs}`;
  return new OAuthError(403, 'insufficient_scope', description, { 'WWW-Authenticate': challenge });
}
