// Pieces every documented route shares: error bodies, path parameters, security schemes.
import * as z from 'zod';
import type { Permission } from '../../core/admin-access.js';
import { ENVIRONMENTS } from '../../shared/domain.js';

export const problemSchema = z
  .strictObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const oauthErrorSchema = z
  .strictObject({ error: z.string(), error_description: z.string() })
  .meta({ id: 'OAuthError', description: 'RFC 6749 §5.2 error response' });

const PROBLEM_TEXT: Record<number, string> = {
  400: 'Invalid input (zod issues listed)',
  401: 'No valid admin token',
  403: 'The token does not cover this account or role',
  404: 'No such resource (keys of other accounts included)',
  409: 'Conflict: a limit exceeded (limit_exceeded) or a name taken (name_taken)',
  413: 'Body too large',
  415: 'Body is not JSON',
  429: 'Too many failed admin tokens from this address (rate_limited, Retry-After)',
  503: 'A store is unreachable (unavailable): the database, or for a key change on PostgreSQL, Redis, where every node must see it marked first; nothing written',
};

const OAUTH_TEXT: Record<number, string> = {
  400: 'invalid_request, unsupported_grant_type or invalid_scope',
  401: 'invalid_client (or invalid_token for bearer callers)',
  413: 'Body too large',
  429: 'Too many failed client authentications (Retry-After)',
  503: 'temporarily_unavailable: the session store or the database is down (Retry-After)',
};

/** Every route that can answer 401 can also answer 429: failed admin tokens are limited per address. */
export function problems(...listed: (keyof typeof PROBLEM_TEXT)[]) {
  const statuses = listed.includes(401) && !listed.includes(429) ? [...listed, 429] : listed;
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: PROBLEM_TEXT[status]!, content: { 'application/problem+json': { schema: problemSchema } } },
    ]),
  );
}

export function oauthErrors(...statuses: (keyof typeof OAUTH_TEXT)[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: OAUTH_TEXT[status]!, content: { 'application/json': { schema: oauthErrorSchema } } },
    ]),
  );
}

export const environmentParams = z.object({ env: z.enum(ENVIRONMENTS) });
export const accountParams = z.object({ accountId: z.string() });
export const keyParams = z.object({ accountId: z.string(), keyId: z.string() });

type Security = Record<string, string[]>[];

// OpenAPI 3.1 lets a bearer scheme name roles: one requirement per role that may call the route. The admin-auth
// suite (test/admin-auth.test.ts) reads them to hold every documented route to its own words.
const ADMIN_ROLES: Record<Permission, string[]> = {
  root: ['root'],
  manage: ['root', 'manager'],
  read: ['root', 'manager', 'viewer'],
};

/** Who may call an admin route: the root token alone, root and managers, or any admin of the account. */
export const adminSecurity = (permission: Permission): Security =>
  ADMIN_ROLES[permission].map((role) => ({ adminToken: [role] }));
// HTTP Basic, or client_id + client_secret in the body (client_secret_post: no header, hence the empty alternative).
export const CLIENT_SECURITY: Security = [{ clientSecretBasic: [] }, {}];
/** A session token, as a bearer token or DPoP-bound (RFC 9449). */
export const BEARER_SECURITY: Security = [{ sessionToken: [] }, { dpop: [] }];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
