// RFC 6750 §3 answers for bearer-protected resources: 401 invalid_token, 403 insufficient_scope.
import type { Environment } from '../../shared/domain.js';
import { OAuthError } from '../errors/oauth-error.js';

export { invalidToken } from '../oauth/bearer.js';

/** 403 naming every scope the resource needs (not only the missing ones), as RFC 6750 §3 asks. */
export function insufficientScope(environment: Environment, required: readonly string[]): OAuthError {
  const scope = required.join(' ');
  const description = `this resource requires the scope "${scope}"`.replace(/"/g, "'");
  const challenge = `Bearer realm="${environment}", error="insufficient_scope", error_description="${description}", scope="${scope}"`;
  return new OAuthError(403, 'insufficient_scope', description, { 'WWW-Authenticate': challenge });
}
