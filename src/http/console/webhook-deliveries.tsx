/** @jsxImportSource hono/jsx */
// A webhook's delivery log, newest first, a page at a time: each event's status, attempts, the receiver's last answer
// or error, and when a pending one is tried next.
import { Hono } from 'hono';
import { DELIVERY_ID_SHAPE, type DeliveryStatus, type WebhookDeliveryRecord } from '../../ports/webhook-store.js';
import type { Services } from '../services.js';
import { chromeOf, renderPage, type ConsoleEnv } from './context.js';
import { Layout, Time } from './layout.js';
import { paths } from './paths.js';
import { noSuchWebhook, openWebhook, WebhookFacts } from './webhooks.js';

const PAGE_SIZE = 50;

const STATUS_BADGES: Record<DeliveryStatus, string> = { pending: 'disabled', delivered: 'active', failed: 'expired' };

function DeliveryRow({ delivery }: { delivery: WebhookDeliveryRecord }) {
  return (
    <tr data-delivery-id={delivery.id} data-status={delivery.status}>
      <td data-label="Event">
        <code>{delivery.eventType}</code>
        <span class="sub mono">{delivery.id}</span>
      </td>
      <td data-label="Status">
        <span class={`badge ${STATUS_BADGES[delivery.status]}`}>{delivery.status}</span>
        <span class="sub attempts">
          {delivery.attempts} {delivery.attempts === 1 ? 'attempt' : 'attempts'}
        </span>
      </td>
      <td data-label="Queued">
        <Time at={delivery.createdAt} />
      </td>
      <td data-label="Last attempt">
        {delivery.lastAttemptAt === null ? (
          <span class="sub">not tried yet</span>
        ) : (
          <>
            <Time at={delivery.lastAttemptAt} />
            <span class="sub last-outcome">
              {delivery.lastStatus !== null && `HTTP ${delivery.lastStatus}`}
              {delivery.lastStatus !== null && delivery.lastError !== null && ' · '}
              {delivery.lastError}
            </span>
          </>
        )}
      </td>
      <td data-label="Next attempt">
        {delivery.status === 'pending' ? (
          <Time at={delivery.nextAttemptAt} />
        ) : delivery.status === 'delivered' && delivery.deliveredAt !== null ? (
          <span class="sub">
            delivered <Time at={delivery.deliveredAt} />
          </span>
        ) : (
          <span class="sub">none: gave up</span>
        )}
      </td>
    </tr>
  );
}

export function webhookDeliveryRoutes(services: Services) {
  return new Hono<ConsoleEnv>().get('/accounts/:accountId/webhooks/:webhookId/deliveries', async (c) => {
    const { account, webhook } = await openWebhook(c, services, 'read');
    const cursor = c.req.query('cursor');
    const after = cursor !== undefined && DELIVERY_ID_SHAPE.test(cursor) ? cursor : undefined;
    const page = await services.webhooks.listDeliveries(account.id, webhook.id, { after, limit: PAGE_SIZE });
    if (!page.ok) throw noSuchWebhook();
    const deliveries = page.value;
    const base = paths.webhookDeliveries(account.id, webhook.id);
    return renderPage(
      c,
      <Layout title="Webhook deliveries" chrome={chromeOf(c, { account, section: 'webhooks' })}>
        <p class="breadcrumb">
          <a href={paths.webhooks(account.id)}>Webhooks</a>
        </p>
        <h1>Deliveries</h1>
        <dl class="facts lead">
          <WebhookFacts webhook={webhook} />
        </dl>
        <section class="panel table-panel" aria-label="Deliveries, newest first">
          {deliveries.items.length === 0 ? (
            <p class="empty">{after ? 'No older deliveries.' : 'Nothing sent yet: a delivery appears here when the account next changes.'}</p>
          ) : (
            <table class="deliveries stack">
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Queued</th>
                  <th scope="col">Last attempt</th>
                  <th scope="col">Next attempt</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.items.map((delivery) => (
                  <DeliveryRow delivery={delivery} />
                ))}
              </tbody>
            </table>
          )}
          <div class="pager">
            {after && <a href={base}>Newest deliveries</a>}
            {deliveries.next && <a href={`${base}?cursor=${encodeURIComponent(deliveries.next)}`}>Older deliveries</a>}
          </div>
        </section>
      </Layout>,
    );
  });
}
