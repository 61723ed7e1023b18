// /admin/v1/accounts/{accountId}/admin-tokens — the operator hands out, lists and revokes account admin tokens.
import { createRoute } from '../openapi/route.js';
import { Hono } from 'hono';
import * as z from 'zod';
import { notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { isId } from '../../core/ids.js';
import { adminSecurity, accountParams, json, problems } from '../openapi/shared.js';
import { permitted, readJsonBody } from './request.js';
import { adminTokenSummarySchema, adminTokenSummaryView } from './views.js';
import { nameSchema } from './name-schema.js';

const createAdminTokenBody = z
  .strictObject({
    name: nameSchema,
    role: z.enum(['manager', 'viewer']),
  })
  .meta({ examples: [{ name: 'billing dashboard', role: 'viewer' }] });

const adminTokenSchema = z
  .strictObject({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    role: z.enum(['manager', 'viewer']),
    token: z.string().meta({ description: 'Shown this once; only a keyed hash is stored.' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AdminToken' });

const adminTokenParams = accountParams.extend({ tokenId: z.string().meta({ description: 'An admin token id (`adm_…`)' }) });

export const adminTokenRouteDocs = [
  createRoute({
    method: 'post',
    path: '/admin/v1/accounts/{accountId}/admin-tokens',
    tags: ['Admin'],
    summary: 'Create an account admin token, manager or viewer (root)',
    security: adminSecurity('root'),
    request: { params: accountParams, body: { required: true, content: { 'application/json': { schema: createAdminTokenBody } } } },
    responses: { 201: json(adminTokenSchema, 'The token, shown once'), ...problems(400, 401, 403, 404, 413, 415) },
  }),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/admin-tokens',
    tags: ['Admin'],
    summary: "The account's admin tokens: name, role, created, last used — never the token (root)",
    security: adminSecurity('root'),
    request: { params: accountParams },
    responses: {
      200: json(z.strictObject({ items: z.array(adminTokenSummarySchema) }).meta({ id: 'AdminTokenList' }), 'Oldest first'),
      ...problems(401, 403, 404),
    },
  }),
  createRoute({
    method: 'delete',
    path: '/admin/v1/accounts/{accountId}/admin-tokens/{tokenId}',
    tags: ['Admin'],
    summary: 'Revoke an admin token: refused from the next request on, console sessions included (root)',
    security: adminSecurity('root'),
    request: { params: adminTokenParams },
    responses: { 204: { description: 'Revoked' }, ...problems(401, 403, 404) },
  }),
];

export function adminTokenRoutes(services: Services) {
  return new Hono<AppEnv>()
    .post('/accounts/:accountId/admin-tokens', async (c) => {
      const accountId = permitted(c, 'root');
      const input = await readJsonBody(c, createAdminTokenBody);
      const created = await services.management.createAdminToken(c.get('actor'), accountId, input);
      if (!created.ok) throw notFound('no such account');
      const { id, token, name, role, createdAt } = created.value;
      return c.json({ id, accountId, name, role, token, createdAt: new Date(createdAt).toISOString() }, 201);
    })
    .get('/accounts/:accountId/admin-tokens', async (c) => {
      const listed = await services.management.listAdminTokens(permitted(c, 'root'));
      if (!listed.ok) throw notFound('no such account');
      return c.json({ items: listed.value.map(adminTokenSummaryView) });
    })
    .delete('/accounts/:accountId/admin-tokens/:tokenId', async (c) => {
      const accountId = permitted(c, 'root');
      const tokenId = c.req.param('tokenId');
      if (!isId('adm', tokenId)) throw notFound('no such admin token');
      const deleted = await services.management.deleteAdminToken(c.get('actor'), accountId, tokenId);
      if (!deleted.ok) throw notFound('no such admin token');
      return c.body(null, 204);
    });
}
