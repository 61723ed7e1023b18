// Access tokens at a resource: reading `Authorization: Bearer …` (RFC 6750) or `Authorization: DPoP …` (RFC 9449), and answering `invalid_token`.
import type { Context } from 'hono';
import type { Environment } from '../../shared/domain.js';
import { OAuthError } from '../errors/oauth-error.js';
import { dpopChallenge } from './dpop.js';

// RFC 6750 §2.1 and RFC 9449 §7.1: the scheme, then a token68.
const ACCESS_TOKEN = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

export type AccessTokenScheme = 'Bearer' | 'DPoP';

/** 401 `invalid_token`, challenged in the scheme the caller used (Bearer unless it sent DPoP). */
export function invalidToken(environment: Environment, description: string, scheme: AccessTokenScheme = 'Bearer'): OAuthError {
  if (scheme === 'DPoP') return dpopChallenge(environment, 'invalid_token', description);
  const challenge = `Bearer realm="${environment}", error="invalid_token", error_description="${description}"`;
  return new OAuthError(401, 'invalid_token', description, { 'WWW-Authenticate': challenge });
}

/** Reads an `Authorization: Bearer` or `DPoP` value; undefined when the header is neither. */
function parseAccessToken(header: string): { scheme: AccessTokenScheme; token: string } | undefined {
  const match = ACCESS_TOKEN.exec(header);
  if (!match) return undefined;
  return { scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2]! };
}

/** The access token of the request and its scheme; throws 401 with the RFC 6750 challenge when there is none. */
export function readAccessToken(c: Context, environment: Environment): { scheme: AccessTokenScheme; token: string } {
  const header = c.req.header('authorization');
  if (header === undefined) throw invalidToken(environment, 'a bearer token is required');
  const presented = parseAccessToken(header);
  if (!presented) throw invalidToken(environment, 'the Authorization header is not a bearer token');
  return presented;
}
