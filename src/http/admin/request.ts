// Admin API plumbing: the bearer-token middleware, permission checks and zod-validated input.
import type { Context, MiddlewareHandler } from 'hono';
import * as z from 'zod';
import { authorize, type Permission } from '../../core/admin-access.js';
import { isId, type IdPrefix } from '../../core/ids.js';
import { ApiProblem, notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';

export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export function adminAuthentication(services: Services): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const challenge = { headers: { 'WWW-Authenticate': 'Bearer realm="keymint-admin"' } };
    if (!match) throw new ApiProblem(401, 'unauthorized', 'an admin token is required (Authorization: Bearer …)', challenge);
    const checked = await services.adminGuard.identify(match[1]!, services.clientIp(c));
    if (!checked.ok) {
      if (checked.reason === 'rate_limited') {
        throw new ApiProblem(429, 'rate_limited', 'too many failed admin-token attempts from this address; try again later', {
          headers: { 'Retry-After': String(checked.retryAfter) },
        });
      }
      throw new ApiProblem(401, 'unauthorized', 'the admin token is not valid', challenge);
    }
    c.set('actor', checked.value.actor);
    await next();
  };
}

/** Checks the caller may do `permission` on the account in the path, and returns that account id. */
export function permitted(c: Context<AppEnv>, permission: Permission): string {
  const accountId = c.req.param('accountId');
  const allowed = authorize(c.get('actor'), permission, accountId);
  if (!allowed.ok) throw new ApiProblem(403, 'forbidden', allowed.detail ?? 'not allowed');
  if (accountId !== undefined && !isId('acct', accountId)) throw notFound('no such account');
  return accountId ?? '';
}

/** `permitted`, for lists: a missing account has no empty list, it is not found. */
export async function permittedAccount(c: Context<AppEnv>, services: Services, permission: Permission): Promise<string> {
  const accountId = permitted(c, permission);
  if (!(await services.management.getAccount(accountId)).ok) throw notFound('no such account');
  return accountId;
}

export function keyIdParam(c: Context): string {
  const keyId = c.req.param('keyId') ?? '';
  if (!isId('key', keyId)) throw notFound('no such key');
  return keyId;
}

function issuesOf(error: z.ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
}

/** Parses and validates the JSON body; 415 for other media types, 400 listing zod's issues. */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiProblem(415, 'unsupported_media_type', 'send the body as application/json');
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ApiProblem(400, 'invalid_request', 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ApiProblem(400, 'invalid_request', 'the request body is invalid', { issues: issuesOf(parsed.error) });
  }
  return parsed.data;
}

/** `readJsonBody` for a body that may be left out altogether (no bytes at all): then `{}` is validated. */
export async function readOptionalJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const length = c.req.header('content-length');
  const hasBody = (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
  if (!hasBody) {
    const parsed = schema.safeParse({});
    if (parsed.success) return parsed.data;
  }
  return readJsonBody(c, schema);
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    throw new ApiProblem(400, 'invalid_request', 'the query string is invalid', { issues: issuesOf(parsed.error) });
  }
  return parsed.data;
}

/** `cursor` (an id of that prefix, or a string matching that pattern: what the list pages by) and `limit` (1–100, default 20). */
export const pageQuery = (cursorShape: IdPrefix | RegExp) => ({
  cursor: z
    .string()
    .refine((cursor) => (typeof cursorShape === 'string' ? isId(cursorShape, cursor) : cursorShape.test(cursor)), {
      error: 'is not a cursor this API returned',
    })
    .optional(),
  limit: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().min(1).max(100))
    .default(20),
});
