// /admin/v1/accounts — create and list (root) and read accounts.
import { createRoute } from '../openapi/route.js';
import { Hono } from 'hono';
import * as z from 'zod';
import { notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { pageQuery, permitted, readJsonBody, readQuery } from './request.js';
import { nameSchema } from './name-schema.js';
import { adminSecurity, accountParams, json, problems } from '../openapi/shared.js';
import { accountSchema, accountView, pageSchema } from './views.js';

const listAccountsQuery = z.strictObject(pageQuery('acct'));

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
    path: '/admin/v1/accounts',
    tags: ['Admin'],
    summary: 'Every account, oldest first (root)',
    security: adminSecurity('root'),
    request: { query: listAccountsQuery },
    responses: { 200: json(pageSchema(accountSchema, 'AccountPage'), 'A page of accounts'), ...problems(400, 401, 403) },
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
    .get('/accounts', async (c) => {
      permitted(c, 'root');
      const query = readQuery(c, listAccountsQuery);
      const page = await management.listAccounts({ after: query.cursor, limit: query.limit });
      return c.json({ items: page.items.map(accountView), nextCursor: page.next });
    })
    .get('/accounts/:accountId', async (c) => {
      const account = await management.getAccount(permitted(c, 'read'));
      if (!account.ok) throw notFound('no such account');
      return c.json(accountView(account.value));
    });
}
