// Pieces every documented route shares: error bodies, path parameters, security schemes.
import * as z from 'zod';
import { ENVIRONMENTS } from '../../core/environments.js';

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
  409: 'Limit exceeded',
  413: 'Body too large',
  415: 'Body is not JSON',
};

const OAUTH_TEXT: Record<number, string> = {
  400: 'invalid_request, unsupported_grant_type or invalid_scope',
  401: 'invalid_client (or invalid_token for bearer callers)',
  413: 'Body too large',
  429: 'Too many failed client authentications (Retry-After)',
  503: 'temporarily_unavailable: the session store or the database is down (Retry-After)',
};

export function problems(...statuses: (keyof typeof PROBLEM_TEXT)[]) {
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
export const ADMIN_SECURITY: Security = [{ adminToken: [] }];
// HTTP Basic, or client_id + client_secret in the body (client_secret_post: no header, hence the empty alternative).
export const CLIENT_SECURITY: Security = [{ clientSecretBasic: [] }, {}];
export const BEARER_SECURITY: Security = [{ sessionToken: [] }];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
