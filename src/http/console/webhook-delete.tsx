/** @jsxImportSource hono/jsx */
// Deleting a webhook (root, manager): a confirmation that says what stops, then the delete, which drops its pending
// deliveries with it.
import { Hono } from 'hono';
import type { Services } from '../services.js';
import { chromeOf, renderPage, type ConsoleEnv } from './context.js';
import { ConfirmPanel } from './confirm-panel.js';
import { Layout, Time } from './layout.js';
import { announce } from './notices.js';
import { paths } from './paths.js';
import { noSuchWebhook, openWebhook, WebhookFacts } from './webhooks.js';

export function webhookDeleteRoutes(services: Services) {
  return new Hono<ConsoleEnv>()
    .get('/accounts/:accountId/webhooks/:webhookId/delete', async (c) => {
      const { account, webhook } = await openWebhook(c, services, 'manage');
      const title = 'Delete this webhook?';
      return renderPage(
        c,
        <Layout title={title} chrome={chromeOf(c, { account, section: 'webhooks' })}>
          <ConfirmPanel
            title={title}
            facts={
              <>
                <WebhookFacts webhook={webhook} />
                <dt>Created</dt>
                <dd>
                  <Time at={webhook.createdAt} />
                </dd>
              </>
            }
            consequences={[
              'keymint stops posting events to this URL at once; deliveries still pending are dropped, not retried.',
              'Its signing secret and delivery log go with it. This cannot be undone: add the URL again for a new secret.',
            ]}
            action={paths.webhookDelete(account.id, webhook.id)}
            csrf={c.get('csrf')}
            button="Delete webhook"
            cancel={paths.webhooks(account.id)}
          />
        </Layout>,
      );
    })
    .post('/accounts/:accountId/webhooks/:webhookId/delete', async (c) => {
      const { account, webhook } = await openWebhook(c, services, 'manage');
      if (!(await services.webhooks.deleteWebhook(c.get('actor'), account.id, webhook.id)).ok) throw noSuchWebhook();
      announce(c, 'webhook-deleted');
      return c.redirect(paths.webhooks(account.id), 303);
    });
}
