// /admin/v1/accounts — create (root) and read accounts.
import { Hono } from 'hono';
import * as z from 'zod';
import { notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { permitted, readJsonBody } from './request.js';
import { accountView } from './views.js';

const createAccountBody = z.strictObject({ name: z.string().trim().min(1).max(100) });

export function accountRoutes(services: Services) {
  const { management } = services;
  return new Hono<AppEnv>()
    .post('/accounts', async (c) => {
      permitted(c, 'root');
      const { name } = await readJsonBody(c, createAccountBody);
      return c.json(accountView(await management.createAccount(c.get('actor'), name)), 201);
    })
    .get('/accounts/:accountId', async (c) => {
      const account = await management.getAccount(permitted(c, 'read'));
      if (!account.ok) throw notFound('no such account');
      return c.json(accountView(account.value));
    });
}
