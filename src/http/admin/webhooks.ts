// /admin/v1/accounts/{accountId}/webhooks — an account's Standard Webhooks endpoints and their delivery logs (SPEC §9).
import { createRoute } from '../openapi/route.js';
import { Hono, type Context } from 'hono';
import * as z from 'zod';
import { ApiProblem, notFound } from '../errors/api-problem.js';
import type { AppEnv, Services } from '../services.js';
import { isId } from '../../core/ids.js';
import type { WebhookSummary } from '../../core/webhook-management.js';
import { WEBHOOK_URL_MAX_LENGTH } from '../../core/webhook-destinations.js';
import { OPERATION_ACTIONS } from '../../ports/key-store.js';
import { DELIVERY_ID_SHAPE, type WebhookDeliveryRecord } from '../../ports/webhook-store.js';
import { adminSecurity, accountParams, json, problems } from '../openapi/shared.js';
import { pageQuery, permitted, permittedAccount, readJsonBody, readQuery } from './request.js';
import { iso, pageSchema } from './views.js';

/** Every audit action is an event type a webhook may subscribe to. */
const EVENT_TYPES = OPERATION_ACTIONS;

const createWebhookBody = z
  .strictObject({
    url: z.string().max(WEBHOOK_URL_MAX_LENGTH).meta({ description: 'An http(s) URL on a public address, without credentials' }),
    events: z
      .array(z.enum(EVENT_TYPES))
      .min(1)
      .optional()
      .meta({ description: 'The event types it receives; left out, every event of the account' }),
  })
  .meta({ examples: [{ url: 'https://hooks.example.com/keymint', events: ['key.created', 'key.regenerated'] }] });

const webhookSchema = z
  .strictObject({
    id: z.string(),
    accountId: z.string(),
    url: z.string(),
    events: z.array(z.enum(EVENT_TYPES)).nullable().meta({ description: 'null: every event' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Webhook' });

const createdWebhookSchema = webhookSchema
  .extend({ secret: z.string().meta({ description: 'The `whsec_` signing secret, shown this once' }) })
  .meta({ id: 'CreatedWebhook' });

const deliverySchema = z
  .strictObject({
    id: z.string().meta({ description: 'The `webhook-id` header of every attempt' }),
    eventType: z.enum(EVENT_TYPES),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    createdAt: z.iso.datetime(),
    nextAttemptAt: z.iso.datetime().nullable().meta({ description: 'When a pending delivery is next tried' }),
    lastAttemptAt: z.iso.datetime().nullable(),
    lastStatus: z.number().int().nullable().meta({ description: "The receiver's HTTP status at the last attempt" }),
    lastError: z.string().nullable(),
    deliveredAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

const listDeliveriesQuery = z.strictObject(pageQuery(DELIVERY_ID_SHAPE));

const webhookParams = accountParams.extend({ webhookId: z.string().meta({ description: 'A webhook id (`wh_…`)' }) });

function webhookView(webhook: WebhookSummary) {
  return { id: webhook.id, accountId: webhook.accountId, url: webhook.url, events: webhook.events, createdAt: iso(webhook.createdAt) };
}

function deliveryView(delivery: WebhookDeliveryRecord) {
  return {
    id: delivery.id,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    createdAt: iso(delivery.createdAt),
    nextAttemptAt: delivery.status === 'pending' ? iso(delivery.nextAttemptAt) : null,
    lastAttemptAt: iso(delivery.lastAttemptAt),
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    deliveredAt: iso(delivery.deliveredAt),
  };
}

export const webhookRouteDocs = [
  createRoute({
    method: 'post',
    path: '/admin/v1/accounts/{accountId}/webhooks',
    tags: ['Admin'],
    summary: 'Add a webhook; its signing secret is shown once (root, manager)',
    security: adminSecurity('manage'),
    request: { params: accountParams, body: { required: true, content: { 'application/json': { schema: createWebhookBody } } } },
    responses: {
      201: json(createdWebhookSchema, 'The webhook with its secret, shown once'),
      ...problems(400, 401, 403, 404, 409, 413, 415),
    },
  }),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/webhooks',
    tags: ['Admin'],
    summary: "The account's webhooks, oldest first (root, manager, viewer)",
    security: adminSecurity('read'),
    request: { params: accountParams },
    responses: { 200: json(z.strictObject({ items: z.array(webhookSchema) }).meta({ id: 'WebhookList' }), 'Oldest first'), ...problems(401, 403, 404) },
  }),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/webhooks/{webhookId}',
    tags: ['Admin'],
    summary: 'One webhook (root, manager, viewer)',
    security: adminSecurity('read'),
    request: { params: webhookParams },
    responses: { 200: json(webhookSchema, 'The webhook'), ...problems(401, 403, 404) },
  }),
  createRoute({
    method: 'delete',
    path: '/admin/v1/accounts/{accountId}/webhooks/{webhookId}',
    tags: ['Admin'],
    summary: 'Delete a webhook and its pending deliveries (root, manager)',
    security: adminSecurity('manage'),
    request: { params: webhookParams },
    responses: { 204: { description: 'Deleted' }, ...problems(401, 403, 404) },
  }),
  createRoute({
    method: 'get',
    path: '/admin/v1/accounts/{accountId}/webhooks/{webhookId}/deliveries',
    tags: ['Admin'],
    summary: "The webhook's delivery log, newest first (root, manager, viewer)",
    security: adminSecurity('read'),
    request: { params: webhookParams, query: listDeliveriesQuery },
    responses: { 200: json(pageSchema(deliverySchema, 'WebhookDeliveryPage'), 'A page of deliveries'), ...problems(400, 401, 403, 404) },
  }),
];

function webhookIdParam(c: Context): string {
  const webhookId = c.req.param('webhookId') ?? '';
  if (!isId('wh', webhookId)) throw notFound('no such webhook');
  return webhookId;
}

export function webhookRoutes(services: Services) {
  const { webhooks } = services;
  return new Hono<AppEnv>()
    .post('/accounts/:accountId/webhooks', async (c) => {
      const accountId = permitted(c, 'manage');
      const input = await readJsonBody(c, createWebhookBody);
      const created = await webhooks.createWebhook(c.get('actor'), accountId, input);
      if (!created.ok) {
        if (created.reason === 'not_found') throw notFound('no such account');
        if (created.reason === 'limit_exceeded') throw new ApiProblem(409, 'limit_exceeded', created.detail ?? 'webhook limit reached');
        throw new ApiProblem(400, 'invalid_request', `url: ${created.detail ?? created.reason}`, {
          issues: [{ path: 'url', message: created.detail ?? created.reason }],
        });
      }
      return c.json({ ...webhookView(created.value), secret: created.value.secret }, 201);
    })
    .get('/accounts/:accountId/webhooks', async (c) => {
      const listed = await webhooks.listWebhooks(permitted(c, 'read'));
      if (!listed.ok) throw notFound('no such account');
      return c.json({ items: listed.value.map(webhookView) });
    })
    .get('/accounts/:accountId/webhooks/:webhookId', async (c) => {
      const found = await webhooks.getWebhook(permitted(c, 'read'), webhookIdParam(c));
      if (!found.ok) throw notFound('no such webhook');
      return c.json(webhookView(found.value));
    })
    .delete('/accounts/:accountId/webhooks/:webhookId', async (c) => {
      const accountId = permitted(c, 'manage');
      const deleted = await webhooks.deleteWebhook(c.get('actor'), accountId, webhookIdParam(c));
      if (!deleted.ok) throw notFound('no such webhook');
      return c.body(null, 204);
    })
    .get('/accounts/:accountId/webhooks/:webhookId/deliveries', async (c) => {
      const accountId = await permittedAccount(c, services, 'read');
      const webhookId = webhookIdParam(c);
      const query = readQuery(c, listDeliveriesQuery);
      const page = await webhooks.listDeliveries(accountId, webhookId, { after: query.cursor, limit: query.limit });
      if (!page.ok) throw notFound('no such webhook');
      return c.json({ items: page.value.items.map(deliveryView), nextCursor: page.value.next });
    });
}
