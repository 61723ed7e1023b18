// grant_type=client_credentials (RFC 6749 §4.4): a session token for the authenticated key, from the issuance cache when it may.
import { OAuthError } from '../../errors/oauth-error.js';
import type { TokenGrant } from './grant.js';

export const clientCredentialsGrant: TokenGrant = {
  grantType: 'client_credentials',
  parameters: ['scope'],
  async handler({ services, environment, params, key, jkt }) {
    const issued = await services.sessions.issue(environment, key, params.get('scope'), { jkt });
    if (!issued.ok) throw new OAuthError(400, 'invalid_scope', issued.detail ?? 'the requested scope is not allowed');
    return { issued: issued.value };
  },
};
