// /admin/v1/accounts/{accountId}/admin-tokens — the operator hands out account admin tokens.
import { createRoute } from '../openapi/route.js';
import { Hono } from 'hono';
import * as z from 'zod';
import { notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { adminSecurity, accountParams, json, problems } from '../openapi/shared.js';
import { permitted, readJsonBody } from './request.js';
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
];

export function adminTokenRoutes(services: Services) {
  return new Hono<AppEnv>().post('/accounts/:accountId/admin-tokens', async (c) => {
    const accountId = permitted(c, 'root');
    const input = await readJsonBody(c, createAdminTokenBody);
    const created = await services.management.createAdminToken(c.get('actor'), accountId, input);
    if (!created.ok) throw notFound('no such account');
    const { id, token, name, role, createdAt } = created.value;
    return c.json({ id, accountId, name, role, token, createdAt: new Date(createdAt).toISOString() }, 201);
  });
}
