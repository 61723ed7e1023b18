// /admin/v1/accounts/{accountId}/keys — API access keys: create, read, change, regenerate, delete.
import { createRoute } from '../openapi/route.js';
import { Hono } from 'hono';
import * as z from 'zod';
import { ENVIRONMENTS } from '../../shared/domain.js';
import { MAX_OVERLAP_SECONDS, type KeyFailure } from '../../core/key-management.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { createKeyScopesSchema } from '../../core/key-rules.js';
import { clientJwksSchema } from '../../core/client-jwks.js';
import { assertNever, type Fail } from '../../shared/result.js';
import { ApiProblem, notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { keyIdParam, pageQuery, permitted, permittedAccount, readJsonBody, readOptionalJsonBody, readQuery } from './request.js';
import { nameSchema } from './name-schema.js';
import { keyLimitFields } from './limit-schemas.js';
import { adminSecurity, accountParams, json, keyParams, problems } from '../openapi/shared.js';
import { keySchema, keyUsageSchema, keyView, keyWithSecretSchema, pageSchema } from './views.js';

const scopes = createKeyScopesSchema({ invalidScope: 'is not a valid scope (RFC 6749 §3.3)' });
const expiresAt = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
  .transform((value) => Date.parse(value))
  .nullable();

// The shape is documented here; core's readClientJwks decides (each key imported, thumbprints taken).
const jwks = clientJwksSchema.meta({ description: 'A public JWK or a JWK Set of 1–5 (EC P-256, Ed25519, RSA ≥ 2048); private members are refused' });
const requireDpop = z.boolean().meta({ description: 'The key mints only DPoP-bound tokens (SPEC §8)' });

const createKeyBody = z
  .strictObject({
    environment: z.enum(ENVIRONMENTS),
    name: nameSchema,
    scopes: scopes.default([]),
    expiresAt: expiresAt.default(null),
    authMethod: z.enum(['client_secret', 'private_key_jwt']).default('client_secret'),
    jwks: jwks.optional(),
    requireDpop: requireDpop.default(false),
    rateLimit: keyLimitFields.rateLimit.default(null),
    quota: keyLimitFields.quota.default(null),
    tokenRateLimit: keyLimitFields.tokenRateLimit.default(null),
  })
  .refine((body) => (body.authMethod === 'private_key_jwt') === (body.jwks !== undefined), {
    path: ['jwks'],
    error: 'jwks is required with authMethod private_key_jwt, and only then',
  })
  .meta({
    examples: [
      { environment: 'sandbox', name: 'orders service', scopes: ['orders:read'] },
      { environment: 'production', name: 'partner', rateLimit: { requests: 50, windowSeconds: 60 }, quota: { requests: 100_000, period: 'month' } },
      {
        environment: 'sandbox',
        name: 'signing service',
        authMethod: 'private_key_jwt',
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] },
      },
    ],
  });

const updateKeyBody = z
  .strictObject({
    name: nameSchema.optional(),
    scopes: scopes.optional(),
    expiresAt: expiresAt.optional(),
    rateLimit: keyLimitFields.rateLimit.optional(),
    quota: keyLimitFields.quota.optional(),
    tokenRateLimit: keyLimitFields.tokenRateLimit.optional(),
    jwks: jwks.optional().meta({ description: "Replaces a private_key_jwt key's public keys" }),
    requireDpop: requireDpop.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    error: 'give at least one of name, scopes, expiresAt, rateLimit, quota, tokenRateLimit, jwks, requireDpop',
  })
  .meta({
    examples: [
      { name: 'orders service (v2)', scopes: ['orders:read', 'orders:write'] },
      { rateLimit: { requests: 50, windowSeconds: 60 }, tokenRateLimit: null },
    ],
  });

const deleteKeyQuery = z.strictObject({
  revokeSessions: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .meta({ description: 'Also revoke every live session of the key (default: they stay valid until they expire)' }),
});

const regenerateBody = z
  .strictObject({
    overlapSeconds: z
      .number({ error: 'must be a whole number of seconds' })
      .int({ error: 'must be a whole number of seconds' })
      .min(0)
      .max(MAX_OVERLAP_SECONDS)
      .default(0)
      .meta({
        description:
          'How long the replaced pair keeps minting (0–604800 s). 0, the default: it stops at once. A pair an earlier roll kept stops at once either way.',
      }),
  })
  .meta({ examples: [{ overlapSeconds: 86400 }] });

const listKeysQuery = z.strictObject({ environment: z.enum(ENVIRONMENTS).optional(), ...pageQuery('key') });

const usageInstant = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
  .transform((value) => Date.parse(value))
  .optional();

const keyUsageQuery = z.strictObject({
  granularity: z
    .enum(['hour', 'day'])
    .default('hour')
    .meta({ description: 'One point per UTC hour (default) or day' }),
  from: usageInstant.meta({
    description: 'Start, rounded down to the hour or day (default: 24 hours before `to` by hour, 30 days by day)',
  }),
  to: usageInstant.meta({ description: 'End, rounded up to the hour or day (default: the end of the current one); at most 90 days after `from`' }),
});

const keyAction = (action: string, summary: string, response: ReturnType<typeof json> | { description: string }, status = 200) =>
  createRoute({
    method: 'post',
    path: `/admin/v1/accounts/{accountId}/keys/{keyId}/${action}`,
    tags: ['Admin'],
    summary,
    security: adminSecurity('manage'),
    request: { params: keyParams },
    responses: { [status]: response, ...problems(401, 403, 404, 503) },
  });

const regenerateRoute = createRoute({
  method: 'post',
  path: '/admin/v1/accounts/{accountId}/keys/{keyId}/regenerate',
  tags: ['Admin'],
  summary:
    'New application ID and secret, same id; the old pair stops minting at once, or after `overlapSeconds` (root, manager)',
  security: adminSecurity('manage'),
  request: { params: keyParams, body: { required: false, content: { 'application/json': { schema: regenerateBody } } } },
  responses: { 200: json(keyWithSecretSchema, 'The key (with `previous` during an overlap) and its new secret'), ...problems(400, 401, 403, 404, 413, 415, 503) },
});

export const keyRouteDocs = [
  createRoute({
    method: 'post',
    path: '/admin/v1/accounts/{accountId}/keys',
    tags: ['Admin'],
    summary: 'Create an API access key; the secret is shown this once (root, manager)',
    security: adminSecurity('manage'),
    request: { params: accountParams, body: { required: true, content: { 'application/json': { schema: createKeyBody } } } },
    responses: { 201: json(keyWithSecretSchema, 'The key and its secret'), ...problems(400, 401, 403, 404, 409, 413, 415) },
  }),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/keys',
    tags: ['Admin'],
    summary: "The account's keys, oldest first (root, manager, viewer)",
    security: adminSecurity('read'),
    request: { params: accountParams, query: listKeysQuery },
    responses: { 200: json(pageSchema(keySchema, 'ApiKeyPage'), 'A page of keys'), ...problems(400, 401, 403, 404) },
  }),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/keys/{keyId}',
    tags: ['Admin'],
    summary: 'One key (root, manager, viewer)',
    security: adminSecurity('read'),
    request: { params: keyParams },
    responses: { 200: json(keySchema, 'The key'), ...problems(401, 403, 404) },
  }),
  createRoute({
    method: 'patch',
    path: '/admin/v1/accounts/{accountId}/keys/{keyId}',
    tags: ['Admin'],
    summary: "Change name, scopes, expiry or limits (null removes a limit); minting and the proxy see it at once; 409 name_taken for another key's name (root, manager)",
    security: adminSecurity('manage'),
    request: { params: keyParams, body: { required: true, content: { 'application/json': { schema: updateKeyBody } } } },
    responses: { 200: json(keySchema, 'The updated key'), ...problems(400, 401, 403, 404, 409, 413, 415, 503) },
  }),
  createRoute({
    method: 'delete',
    path: '/admin/v1/accounts/{accountId}/keys/{keyId}',
    tags: ['Admin'],
    summary: 'Delete a key; its pair stops minting, its sessions stay valid until they expire (root, manager)',
    security: adminSecurity('manage'),
    request: { params: keyParams, query: deleteKeyQuery },
    responses: { 204: { description: 'Deleted' }, ...problems(400, 401, 403, 404, 503) },
  }),
  regenerateRoute,
  keyAction('retire-previous', "End a roll's overlap now: the previous pair stops minting (root, manager)", json(keySchema, 'The key, without `previous`')),
  keyAction('disable', 'Stop the key minting; sessions stay valid (root, manager)', json(keySchema, 'The key')),
  keyAction('enable', 'Let a disabled key mint again (root, manager)', json(keySchema, 'The key')),
  keyAction(
    'revoke-sessions',
    "Revoke every live session of the key (root, manager)",
    json(z.strictObject({ key: keySchema, revokedSessions: z.number().int() }).meta({ id: 'RevokedSessions' }), 'How many sessions were revoked'),
  ),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/keys/{keyId}/usage',
    tags: ['Admin'],
    summary:
      "The key's usage by UTC hour or day, zero-filled, over at most 90 days: tokens minted, proxied calls by status class, refusals by reason (root, manager, viewer)",
    security: adminSecurity('read'),
    request: { params: keyParams, query: keyUsageQuery },
    responses: { 200: json(keyUsageSchema, 'The series and its totals'), ...problems(400, 401, 403, 404) },
  }),
];

function keyProblem(failure: Fail<KeyFailure>): ApiProblem {
  switch (failure.reason) {
    case 'not_found':
      return notFound('no such key');
    case 'limit_exceeded':
      return new ApiProblem(409, 'limit_exceeded', failure.detail ?? 'key limit reached');
    case 'name_taken':
      return new ApiProblem(409, 'name_taken', failure.detail ?? 'another key of this account and environment has this name');
    case 'scope_not_allowed':
    case 'expiry_in_past':
    case 'invalid_jwks': {
      // Checked after zod, but listed the same way so clients read one shape of 400.
      const detail = failure.detail ?? 'invalid key';
      const path = failure.reason === 'scope_not_allowed' ? 'scopes' : failure.reason === 'invalid_jwks' ? 'jwks' : 'expiresAt';
      return new ApiProblem(400, 'invalid_request', detail, { issues: [{ path, message: detail }] });
    }
    default:
      return assertNever(failure.reason);
  }
}

export function keyRoutes(services: Services) {
  const { management } = services;
  const view = (key: KeyRecord) => keyView(key, services.clock.now());
  return new Hono<AppEnv>()
    .post('/accounts/:accountId/keys', async (c) => {
      const accountId = permitted(c, 'manage');
      const input = await readJsonBody(c, createKeyBody);
      const created = await management.createKey(c.get('actor'), accountId, input);
      if (!created.ok) {
        throw created.reason === 'not_found' ? notFound('no such account') : keyProblem(created);
      }
      const { applicationSecret } = created.value;
      return c.json({ ...(await view(created.value.key)), ...(applicationSecret !== undefined && { applicationSecret }) }, 201);
    })
    .get('/accounts/:accountId/keys', async (c) => {
      const accountId = await permittedAccount(c, services, 'read');
      const query = readQuery(c, listKeysQuery);
      const page = await management.listKeys(accountId, {
        environment: query.environment,
        after: query.cursor,
        limit: query.limit,
      });
      return c.json({ items: await Promise.all(page.items.map(view)), nextCursor: page.next });
    })
    .get('/accounts/:accountId/keys/:keyId', async (c) => {
      const found = await management.getKey(permitted(c, 'read'), keyIdParam(c));
      if (!found.ok) throw keyProblem(found);
      return c.json(await view(found.value));
    })
    .patch('/accounts/:accountId/keys/:keyId', async (c) => {
      const accountId = permitted(c, 'manage');
      const keyId = keyIdParam(c);
      const patch = await readJsonBody(c, updateKeyBody);
      const updated = await management.updateKey(c.get('actor'), accountId, keyId, patch);
      if (!updated.ok) throw keyProblem(updated);
      return c.json(await view(updated.value));
    })
    .post('/accounts/:accountId/keys/:keyId/regenerate', async (c) => {
      const accountId = permitted(c, 'manage');
      const keyId = keyIdParam(c);
      const { overlapSeconds } = await readOptionalJsonBody(c, regenerateBody);
      const regenerated = await management.regenerateKey(c.get('actor'), accountId, keyId, { overlapSeconds });
      if (!regenerated.ok) {
        if (regenerated.reason === 'not_found') throw notFound('no such key');
        const detail = regenerated.detail ?? 'this key has no secret to keep working';
        throw new ApiProblem(400, 'invalid_request', detail, { issues: [{ path: 'overlapSeconds', message: detail }] });
      }
      const { applicationSecret } = regenerated.value;
      return c.json({ ...(await view(regenerated.value.key)), ...(applicationSecret !== undefined && { applicationSecret }) });
    })
    .post('/accounts/:accountId/keys/:keyId/retire-previous', async (c) => {
      const retired = await management.retirePreviousPair(c.get('actor'), permitted(c, 'manage'), keyIdParam(c));
      if (!retired.ok) throw keyProblem(retired);
      return c.json(await view(retired.value));
    })
    .post('/accounts/:accountId/keys/:keyId/disable', async (c) => {
      const changed = await management.setKeyStatus(c.get('actor'), permitted(c, 'manage'), keyIdParam(c), 'disabled');
      if (!changed.ok) throw keyProblem(changed);
      return c.json(await view(changed.value));
    })
    .post('/accounts/:accountId/keys/:keyId/enable', async (c) => {
      const changed = await management.setKeyStatus(c.get('actor'), permitted(c, 'manage'), keyIdParam(c), 'active');
      if (!changed.ok) throw keyProblem(changed);
      return c.json(await view(changed.value));
    })
    .delete('/accounts/:accountId/keys/:keyId', async (c) => {
      const accountId = permitted(c, 'manage');
      const keyId = keyIdParam(c);
      const { revokeSessions } = readQuery(c, deleteKeyQuery);
      const deleted = await management.deleteKey(c.get('actor'), accountId, keyId, { revokeSessions });
      if (!deleted.ok) throw keyProblem(deleted);
      return c.body(null, 204);
    })
    .get('/accounts/:accountId/keys/:keyId/usage', async (c) => {
      const accountId = permitted(c, 'read');
      const keyId = keyIdParam(c);
      const query = readQuery(c, keyUsageQuery);
      const usage = await services.keyUsage.read(accountId, keyId, { granularity: query.granularity, fromMs: query.from, toMs: query.to });
      if (!usage.ok) {
        switch (usage.reason) {
          case 'not_found':
            throw notFound('no such key');
          case 'invalid_range': {
            const detail = usage.detail ?? 'the range is invalid';
            throw new ApiProblem(400, 'invalid_request', detail, { issues: [{ path: 'from', message: detail }] });
          }
          default:
            return assertNever(usage.reason);
        }
      }
      return c.json(usage.value);
    })
    .post('/accounts/:accountId/keys/:keyId/revoke-sessions', async (c) => {
      const revoked = await management.revokeKeySessions(c.get('actor'), permitted(c, 'manage'), keyIdParam(c));
      if (!revoked.ok) throw keyProblem(revoked);
      return c.json({ key: await view(revoked.value.key), revokedSessions: revoked.value.revoked });
    });
}
