// /admin/v1/accounts/{accountId}/operations — the audit log, newest first.
import { createRoute } from '../openapi/route.js';
import { Hono } from 'hono';
import * as z from 'zod';
import type { AppEnv, Services } from '../services.js';
import { pageQuery, permittedAccount, readQuery } from './request.js';
import { adminSecurity, accountParams, json, problems } from '../openapi/shared.js';
import { operationSchema, operationView, pageSchema } from './views.js';

const listOperationsQuery = z.strictObject(pageQuery('op'));

export const operationRouteDocs = [
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/operations',
    tags: ['Admin'],
    summary: 'The audit log, newest first (root, manager, viewer)',
    security: adminSecurity('read'),
    request: { params: accountParams, query: listOperationsQuery },
    responses: { 200: json(pageSchema(operationSchema, 'OperationPage'), 'A page of operations'), ...problems(400, 401, 403, 404) },
  }),
];

export function operationRoutes(services: Services) {
  return new Hono<AppEnv>().get('/accounts/:accountId/operations', async (c) => {
    const accountId = await permittedAccount(c, services, 'read');
    const query = readQuery(c, listOperationsQuery);
    const page = await services.management.listOperations(accountId, { after: query.cursor, limit: query.limit });
    return c.json({ items: page.items.map(operationView), nextCursor: page.next });
  });
}
