// RFC 6750 bearer tokens: reading `Authorization: Bearer …` and answering `invalid_token`.
import type { Context } from 'hono';
import type { Environment } from '../../shared/domain.js';
import { OAuthError } from '../errors/oauth-error.js';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function invalidToken(environment: Environment, description: string): OAuthError {
  const challenge = `Bearer realm="${environment}", error="invalid_token", error_description="${description}"`;
  return new OAuthError(401, 'invalid_token', description, { 'WWW-Authenticate': challenge });
}

/** The bearer token of the request; throws 401 with the RFC 6750 challenge when there is none. */
export function readBearerToken(c: Context, environment: Environment): string {
  const header = c.req.header('authorization');
  if (header === undefined) throw invalidToken(environment, 'a bearer token is required');
  const match = BEARER.exec(header);
  if (!match) throw invalidToken(environment, 'the Authorization header is not a bearer token');
  return match[1]!;
}
