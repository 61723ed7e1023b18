/** @jsxImportSource hono/jsx */
// An account's webhooks (SPEC §9): the list, the add form (URL and events) and the `whsec_` signing secret shown once
// on the page after. Deleting one is webhook-delete.tsx; its delivery log, webhook-deliveries.tsx.
import { assertNever } from '../../shared/result.js';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Permission } from '../../core/admin-access.js';
import { isId } from '../../core/ids.js';
import type { WebhookFailure, WebhookSummary } from '../../core/webhook-management.js';
import { WEBHOOK_URL_MAX_LENGTH } from '../../core/webhook-destinations.js';
import { OPERATION_ACTIONS, type AccountRecord, type OperationAction } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, openAccount, readForm, renderPage, formText, type ConsoleEnv, type FormBody, type OpenAccount } from './context.js';
import { Copyable, CsrfField, errorId, FieldError, ForScreenReaders, Layout, TextField, Time } from './layout.js';
import { ACTION_LABELS } from './operations.js';
import { paths } from './paths.js';
import { flashSecret, takeFlashedSecret } from './session.js';

interface WebhookForm {
  url: string;
  events: OperationAction[];
  errors: { url?: string; events?: string };
}

export function noSuchWebhook(): ConsoleError {
  return new ConsoleError(404, 'No such webhook', 'This account has no such webhook; it may have been deleted.');
}

/** The account and webhook in the path, if the signed-in token may `permission` them: another account's webhook is a 404. */
export async function openWebhook(c: Context<ConsoleEnv>, services: Services, permission: Permission) {
  const opened = await openAccount(c, services, permission);
  const webhookId = c.req.param('webhookId') ?? '';
  const found = isId('wh', webhookId) ? await services.webhooks.getWebhook(opened.account.id, webhookId) : null;
  if (!found?.ok) throw noSuchWebhook();
  return { ...opened, webhook: found.value };
}

/** The events a webhook receives, in words: its list, or every event. */
export function WebhookEvents({ webhook }: { webhook: WebhookSummary }) {
  if (webhook.events === null) return <span>every event</span>;
  return (
    <>
      {webhook.events.map((event) => (
        <code class="scope" title={ACTION_LABELS[event]}>
          {event}
        </code>
      ))}
    </>
  );
}

/** The URL and events of a webhook, as dt/dd pairs of a page's facts. */
export function WebhookFacts({ webhook }: { webhook: WebhookSummary }) {
  return (
    <>
      <dt>URL</dt>
      <dd>
        <code class="webhook-url">{webhook.url}</code>
      </dd>
      <dt>Events</dt>
      <dd>
        <WebhookEvents webhook={webhook} />
      </dd>
    </>
  );
}

function WebhookRow({ webhook, canManage }: { webhook: WebhookSummary; canManage: boolean }) {
  const forWebhook = <ForScreenReaders> of webhook {webhook.url}</ForScreenReaders>;
  return (
    <tr data-webhook-id={webhook.id}>
      <td data-label="URL">
        <code class="webhook-url">{webhook.url}</code>
        <span class="sub mono">{webhook.id}</span>
      </td>
      <td data-label="Events">
        <WebhookEvents webhook={webhook} />
      </td>
      <td data-label="Created">
        <Time at={webhook.createdAt} />
      </td>
      <td data-label="Actions">
        <div class="actions">
          <a class="button" href={paths.webhookDeliveries(webhook.accountId, webhook.id)}>
            Deliveries{forWebhook}
          </a>
          {canManage && (
            <a class="button danger-outline" href={paths.webhookDelete(webhook.accountId, webhook.id)}>
              Delete<ForScreenReaders> webhook {webhook.url}</ForScreenReaders>
            </a>
          )}
        </div>
      </td>
    </tr>
  );
}

function CreateWebhookForm({ accountId, csrf, form }: { accountId: string; csrf: string; form: WebhookForm }) {
  const { errors } = form;
  return (
    <form method="post" action={paths.webhooks(accountId)} novalidate>
      <CsrfField csrf={csrf} />
      <TextField
        name="url"
        label="Endpoint URL"
        hint="(http or https, on a public address)"
        placeholder="https://hooks.example.com/keymint"
        maxlength={WEBHOOK_URL_MAX_LENGTH}
        value={form.url}
        error={errors.url}
        focus={errors.url !== undefined}
        extra={{ inputmode: 'url' }}
        required
      />
      <fieldset class="checks" aria-describedby={errors.events ? errorId('events') : 'events-hint'}>
        <legend>Events</legend>
        <p class="hint" id="events-hint">
          Tick none to receive every event of the account.
        </p>
        {OPERATION_ACTIONS.map((event, index) => (
          <label for={`event-${event}`}>
            <input
              type="checkbox"
              name="events"
              id={`event-${event}`}
              value={event}
              checked={form.events.includes(event)}
              autofocus={errors.url === undefined && errors.events !== undefined && index === 0}
            />{' '}
            <code>{event}</code>
          </label>
        ))}
        <FieldError field="events" error={errors.events} />
      </fieldset>
      <div class="form-row">
        <button type="submit" class="primary">
          Add webhook
        </button>
      </div>
    </form>
  );
}

async function webhooksPage(
  c: Context<ConsoleEnv>,
  services: Services,
  opened: OpenAccount,
  form: WebhookForm = { url: '', events: [], errors: {} },
  status: ContentfulStatusCode = 200,
) {
  const { account, canManage } = opened;
  const listed = await services.webhooks.listWebhooks(account.id);
  if (!listed.ok) throw new ConsoleError(404, 'No such account', `there is no account ${account.id}`);
  const webhooks = listed.value;
  return renderPage(
    c,
    <Layout title="Webhooks" chrome={chromeOf(c, { account, section: 'webhooks' })}>
      <h1>Webhooks</h1>
      <p class="lead">
        keymint posts each change to this account (the audit log’s events) to these URLs, signed per the Standard Webhooks
        specification, and retries with backoff until the receiver answers 2xx.
      </p>
      <section class="panel table-panel" aria-label="Webhooks of this account">
        {webhooks.length === 0 ? (
          <p class="empty">No webhooks yet{canManage ? ': add one below.' : '.'}</p>
        ) : (
          <table class="webhooks stack">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((webhook) => (
                <WebhookRow webhook={webhook} canManage={canManage} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      {canManage && (
        <section class="panel narrow" aria-labelledby="create-webhook-heading">
          <h2 id="create-webhook-heading">Add a webhook</h2>
          <CreateWebhookForm accountId={account.id} csrf={c.get('csrf')} form={form} />
        </section>
      )}
    </Layout>,
    status,
  );
}

/** The ticked events; any value that is not an event makes the list invalid (null). */
function readEvents(form: FormBody): OperationAction[] | null {
  const raw = form.events;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const events: OperationAction[] = [];
  for (const value of values) {
    if (typeof value !== 'string' || !(OPERATION_ACTIONS as readonly string[]).includes(value)) return null;
    if (!events.includes(value as OperationAction)) events.push(value as OperationAction);
  }
  return events;
}

/** Core's reason for refusing a URL, as a sentence beside the field. */
function urlError(reason: Exclude<WebhookFailure, 'not_found'>, detail: string | undefined): string {
  switch (reason) {
    case 'invalid_url':
      return `The URL ${detail ?? 'is not valid'}.`;
    case 'address_not_allowed':
      return `Not allowed: ${detail ?? 'that address is not public'}.`;
    case 'limit_exceeded':
      return `No more webhooks: ${detail ?? 'this account has as many as it may'}.`;
    default:
      return assertNever(reason);
  }
}

function secretGone(): ConsoleError {
  return new ConsoleError(410, 'Secret no longer shown', 'A webhook’s signing secret is shown once, right after it is added. Delete the webhook and add it again if it was not stored.');
}

export function webhookRoutes(services: Services) {
  return new Hono<ConsoleEnv>()
    .get('/accounts/:accountId/webhooks', async (c) => webhooksPage(c, services, await openAccount(c, services, 'read')))
    .post('/accounts/:accountId/webhooks', async (c) => {
      const opened = await openAccount(c, services, 'manage');
      const body = await readForm(c);
      const url = formText(body, 'url').trim();
      const events = readEvents(body);
      const form: WebhookForm = { url, events: events ?? [], errors: {} };
      if (url === '') form.errors.url = 'Give the URL keymint posts events to.';
      else if (url.length > WEBHOOK_URL_MAX_LENGTH) form.errors.url = `Keep the URL to ${WEBHOOK_URL_MAX_LENGTH} characters.`;
      if (events === null) form.errors.events = 'Choose events from the list.';
      if (form.errors.url || form.errors.events) return webhooksPage(c, services, opened, form, 400);

      const created = await services.webhooks.createWebhook(c.get('actor'), opened.account.id, {
        url,
        ...(events!.length > 0 && { events: events! }),
      });
      if (!created.ok) {
        if (created.reason === 'not_found') throw new ConsoleError(404, 'No such account', `there is no account ${opened.account.id}`);
        form.errors.url = urlError(created.reason, created.detail);
        return webhooksPage(c, services, opened, form, 400);
      }
      const secretPath = paths.webhookSecret(opened.account.id, created.value.id);
      flashSecret(c, secretPath, 'created', created.value.secret);
      return c.redirect(secretPath, 303);
    })
    .get('/accounts/:accountId/webhooks/:webhookId/secret', async (c) => {
      const { account, webhook } = await openWebhook(c, services, 'manage');
      const shown = takeFlashedSecret(c, paths.webhookSecret(account.id, webhook.id));
      if (!shown || shown.event !== 'created' || !shown.secret.startsWith('whsec_')) throw secretGone();
      return secretPage(c, account, webhook, shown.secret);
    });
}

function secretPage(c: Context<ConsoleEnv>, account: AccountRecord, webhook: WebhookSummary, secret: string) {
  return renderPage(
    c,
    <Layout title="Webhook added" chrome={chromeOf(c, { account, section: 'webhooks' })}>
      <section class="panel shown-once">
        <h1>Webhook added</h1>
        <div class="warning" role="alert">
          <strong>Copy the signing secret now.</strong> It will not be shown again. Your receiver checks each delivery’s{' '}
          <code>webhook-signature</code> with it, for example with a Standard Webhooks library.
        </div>
        <dl class="facts">
          <WebhookFacts webhook={webhook} />
          <dt>Signing secret</dt>
          <dd>
            <Copyable id="webhook-secret" value={secret} what="signing secret" secret />
          </dd>
        </dl>
        <div class="form-row">
          <a class="button" href={paths.webhooks(account.id)}>
            Done: back to webhooks
          </a>
        </div>
      </section>
    </Layout>,
  );
}
