// grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693), for down-scoping a live session token of the same client.
import { ACCESS_TOKEN_TYPE, answerTokenExchangeFailure, TOKEN_EXCHANGE_GRANT_TYPE } from '../../../core/token-exchange.js';
import { invalidRequest, OAuthError } from '../../errors/oauth-error.js';
import type { TokenGrant } from './grant.js';

export const tokenExchangeGrant: TokenGrant = {
  grantType: TOKEN_EXCHANGE_GRANT_TYPE,
  parameters: ['subject_token', 'subject_token_type', 'requested_token_type', 'scope', 'resource', 'audience'],
  async handler({ services, environment, params, key, jkt, requireDpop, whileMark }) {
    const subjectToken = params.get('subject_token');
    if (!subjectToken) throw invalidRequest('subject_token is required');
    const optional = (name: string) => params.get(name);
    const exchanged = await services.sessions.exchange(
      environment,
      key,
      {
        subjectToken,
        subjectTokenType: optional('subject_token_type'),
        requestedTokenType: optional('requested_token_type'),
        actorToken: optional('actor_token'),
        scope: optional('scope'),
        resources: params.all('resource'),
        audiences: params.all('audience'),
        requireDpop,
      },
      { jkt, whileMark },
    );
    if (!exchanged.ok) {
      const { error, description } = answerTokenExchangeFailure(exchanged.reason);
      throw new OAuthError(400, error, description, {}, `exchange_${exchanged.reason}`);
    }
    return { issued: exchanged.value, issuedTokenType: ACCESS_TOKEN_TYPE };
  },
};
