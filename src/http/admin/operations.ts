// /admin/v1/accounts/{accountId}/operations — the audit log, newest first.
import { Hono } from 'hono';
import * as z from 'zod';
import type { AppEnv, Services } from '../services.js';
import { pageQuery, permittedAccount, readQuery } from './request.js';
import { operationView } from './views.js';

const listOperationsQuery = z.strictObject(pageQuery('op'));

export function operationRoutes(services: Services) {
  return new Hono<AppEnv>().get('/accounts/:accountId/operations', async (c) => {
    const accountId = await permittedAccount(c, services, 'read');
    const query = readQuery(c, listOperationsQuery);
    const page = await services.management.listOperations(accountId, { after: query.cursor, limit: query.limit });
    return c.json({ items: page.items.map(operationView), nextCursor: page.next });
  });
}
