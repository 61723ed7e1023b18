// /admin/v1/accounts/{accountId}/admin-tokens — the operator hands out account admin tokens.
import { Hono } from 'hono';
import * as z from 'zod';
import { notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { permitted, readJsonBody } from './request.js';

const createAdminTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(['manager', 'viewer']),
});

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
