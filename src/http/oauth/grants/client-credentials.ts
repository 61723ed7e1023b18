// grant_type=client_credentials (RFC 6749 §4.4): a session token for the authenticated key and the `resource` asked
// for (RFC 8707), from the issuance cache when it may.
import { resolveTokenAudience } from '../../../core/audiences.js';
import { OAuthError } from '../../errors/oauth-error.js';
import type { TokenGrant } from './grant.js';

export const clientCredentialsGrant: TokenGrant = {
  grantType: 'client_credentials',
  parameters: ['scope', 'resource'],
  async handler({ services, environment, params, key, jkt, whileMark }) {
    const audience = resolveTokenAudience(services.gateway.current[environment].audiences, params.all('resource'));
    if (!audience.ok) throw new OAuthError(400, 'invalid_target', audience.detail ?? 'the resource is not known here');
    const issued = await services.sessions.issue(environment, key, params.get('scope'), { jkt, audience: audience.value, whileMark });
    if (!issued.ok) throw new OAuthError(400, 'invalid_scope', issued.detail ?? 'the requested scope is not allowed');
    return { issued: issued.value };
  },
};
