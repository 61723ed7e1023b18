// The token endpoint's grants by grant_type; discovery publishes their names as grant_types_supported.
import { clientCredentialsGrant } from './client-credentials.js';
import type { TokenGrant } from './grant.js';
import { tokenExchangeGrant } from './token-exchange.js';

export type { TokenGrant, TokenGrantAnswer, TokenGrantRequest } from './grant.js';

export const TOKEN_GRANTS: ReadonlyMap<string, TokenGrant> = new Map(
  [clientCredentialsGrant, tokenExchangeGrant].map((grant) => [grant.grantType, grant]),
);
