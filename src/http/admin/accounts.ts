// /admin/v1/accounts — create (root) and read accounts.
import { createRoute } from '../openapi/route.js';
import { Hono } from 'hono';
import * as z from 'zod';
import { notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { permitted, readJsonBody } from './request.js';
import { nameSchema } from './name-schema.js';
import { adminSecurity, accountParams, json, problems } from '../openapi/shared.js';
import { accountSchema, accountView } from './views.js';

const createAccountBody = z.strictObject({ name: nameSchema }).meta({ examples: [{ name: 'Acme Logistics' }] });

export const accountRouteDocs = [
  createRoute({
    method: 'post',
    path: '/admin/v1/accounts',
    tags: ['Admin'],
    summary: 'Create an account (root)',
    security: adminSecurity('root'),
    request: { body: { required: true, content: { 'application/json': { schema: createAccountBody } } } },
    responses: { 201: json(accountSchema, 'The account'), ...problems(400, 401, 403, 413, 415) },
  }),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}',
    tags: ['Admin'],
    summary: 'Read an account (root, its admins)',
    security: adminSecurity('read'),
    request: { params: accountParams },
    responses: { 200: json(accountSchema, 'The account'), ...problems(401, 403, 404) },
  }),
];

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
