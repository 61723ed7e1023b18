/** @jsxImportSource hono/jsx */
// An environment's keys: the list (searchable), how many of the limit are used, a first curl command when there are
// none, and the create form.
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ENVIRONMENTS, type Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, formText, openAccount, readForm, renderPage, type ConsoleEnv, type OpenAccount } from './context.js';
import { CreateKeyForm } from './key-form.js';
import { keyFormFailure, parseKeyForm, readKeyFormValues, type KeyFormState } from './key-form-rules.js';
import { ExpiryText, firstCurlCommand, KeyActionButtons, LastUsed, SecretHint, shownStatus, StatusBadge, TokenEndpoint, type ShownStatus } from './key-views.js';
import { Copyable, ENVIRONMENT_LABELS, Layout, Time } from './layout.js';
import { announce } from './notices.js';
import { paths } from './paths.js';
import { flashSecret } from './session.js';

/** Every key of the account (in one environment, when given), oldest first. */
export async function listAllKeys(services: Services, accountId: string, environment?: Environment): Promise<KeyRecord[]> {
  const keys: KeyRecord[] = [];
  let after: string | undefined;
  do {
    const page = await services.management.listKeys(accountId, { environment, after, limit: 100 });
    keys.push(...page.items);
    after = page.next ?? undefined;
  } while (after);
  return keys;
}

const STATUS_FILTERS = ['active', 'disabled', 'expired'] as const satisfies readonly ShownStatus[];

/** The search box and status filter of the keys list, as the query string gave them. */
interface KeyFilter {
  text: string;
  status: ShownStatus | undefined;
}

function readKeyFilter(c: Context): KeyFilter {
  const status = c.req.query('status');
  return {
    text: (c.req.query('q') ?? '').trim().slice(0, 200),
    status: (STATUS_FILTERS as readonly string[]).includes(status ?? '') ? (status as ShownStatus) : undefined,
  };
}

/** A key matches when its name, id or application ID holds the text (any case), and its status is the one asked for. */
function matches(key: KeyRecord, filter: KeyFilter, now: number): boolean {
  const text = filter.text.toLowerCase();
  const named = text === '' || [key.name, key.id, key.applicationId].some((value) => value.toLowerCase().includes(text));
  return named && (filter.status === undefined || shownStatus(key, now) === filter.status);
}

function KeyFilterForm({ action, filter }: { action: string; filter: KeyFilter }) {
  return (
    <form method="get" action={action} class="filters" role="search" aria-label="Search keys">
      <div class="filter">
        <label for="key-search">Search</label>
        <input type="search" id="key-search" name="q" value={filter.text} placeholder="name, key ID or application ID" autocomplete="off" />
      </div>
      <div class="filter">
        <label for="key-status">Status</label>
        <select id="key-status" name="status">
          <option value="">any</option>
          {STATUS_FILTERS.map((status) => (
            <option value={status} selected={filter.status === status}>
              {status}
            </option>
          ))}
        </select>
      </div>
      <div class="filter filter-buttons">
        <button type="submit">Search</button>
        {(filter.text !== '' || filter.status) && (
          <a class="button" href={action}>
            Clear
          </a>
        )}
      </div>
    </form>
  );
}

function KeyRow({ keyRecord, now, canManage, csrf }: { keyRecord: KeyRecord; now: number; canManage: boolean; csrf: string }) {
  const { accountId, id, name } = keyRecord;
  return (
    <tr data-key-id={id}>
      <td data-label="Name">
        <a class="key-name" href={paths.key(accountId, id)} title={name}>
          {name}
        </a>
        <span class="sub mono">{id}</span>
      </td>
      <td data-label="Application ID · secret">
        <code class="application-id">{keyRecord.applicationId}</code>
        <span class="sub">
          {keyRecord.secretHint !== null && 'secret '}
          <SecretHint keyRecord={keyRecord} />
        </span>
      </td>
      <td data-label="Scopes">
        {keyRecord.scopes.length === 0 ? <span class="sub">none</span> : keyRecord.scopes.map((scope) => <code class="scope">{scope}</code>)}
      </td>
      <td data-label="Status">
        <StatusBadge keyRecord={keyRecord} now={now} />
        <span class="sub">
          <ExpiryText keyRecord={keyRecord} />
        </span>
      </td>
      <td data-label="Created · last used">
        <Time at={keyRecord.createdAt} />
        <span class="sub">
          <LastUsed at={keyRecord.lastUsedAt} />
        </span>
      </td>
      {canManage && (
        <td data-label="Actions">
          <div class="actions">
            <KeyActionButtons keyRecord={keyRecord} csrf={csrf} />
          </div>
        </td>
      )}
    </tr>
  );
}

/** No keys yet: what to do first, and the curl command that proves a key works. */
function EmptyState({ services, environment, canManage }: { services: Services; environment: Environment; canManage: boolean }) {
  const label = ENVIRONMENT_LABELS[environment].toLowerCase();
  return (
    <div class="empty-state">
      <h2>No {label} keys yet</h2>
      <p>
        {canManage ? 'Create a key below. ' : 'A manager of this account creates them. '}A client then exchanges the key’s
        application ID and secret for a session token at the token endpoint, for example with curl:
      </p>
      <Copyable id="first-curl" value={firstCurlCommand(services, environment)} what="curl command" />
    </div>
  );
}

export async function environmentPage(
  c: Context<ConsoleEnv>,
  services: Services,
  opened: OpenAccount,
  environment: Environment,
  form?: KeyFormState,
  status: ContentfulStatusCode = 200,
) {
  const { account, canManage } = opened;
  const keys = await listAllKeys(services, account.id, environment);
  const limit = services.config.keysPerEnvironment;
  const atLimit = keys.length >= limit;
  const label = ENVIRONMENT_LABELS[environment];
  const csrf = c.get('csrf');
  const now = services.clock.now();
  const filter = readKeyFilter(c);
  const shown = keys.filter((key) => matches(key, filter, now));
  const filtered = shown.length !== keys.length;
  return renderPage(
    c,
    <Layout title={`${label} keys`} chrome={chromeOf(c, { account, section: environment })}>
      <h1>{label} keys</h1>
      <div class="lead endpoint">
        <span>Token endpoint:</span> <TokenEndpoint services={services} environment={environment} />
      </div>
      {!canManage && (
        <div class="readonly" role="note">
          You are signed in with a viewer token: you can see keys and the audit log, but not change them.
        </div>
      )}
      <div class="usage">
        <strong class="key-count">
          {keys.length} of {limit} keys
        </strong>
        <meter min={0} max={limit} value={keys.length} low={limit - 0.5} high={limit - 0.5} optimum={0} aria-label="Keys used of the limit">
          {keys.length} of {limit}
        </meter>
        <span class="sub">the limit per environment</span>
      </div>
      <section class="panel table-panel" aria-label={`${label} keys`}>
        {keys.length === 0 ? (
          <EmptyState services={services} environment={environment} canManage={canManage} />
        ) : (
          <>
            <KeyFilterForm action={paths.environment(account.id, environment)} filter={filter} />
            {filtered && (
              <p class="filter-result" role="status">
                {shown.length} of {keys.length} keys match.
              </p>
            )}
            {shown.length === 0 ? (
              <p class="empty">No key matches that search.</p>
            ) : (
              <table class="keys stack">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Application ID · secret</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Status</th>
                    <th scope="col">Created · last used</th>
                    {canManage && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {shown.map((keyRecord) => (
                    <KeyRow keyRecord={keyRecord} now={now} canManage={canManage} csrf={csrf} />
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </section>
      {canManage && (
        <section class="panel narrow" aria-labelledby="create-heading">
          <h2 id="create-heading">Create a {label.toLowerCase()} key</h2>
          {atLimit ? (
            <div class="warning limit-note" role="note">
              This environment has {limit} of {limit} keys, the limit. Delete a key to create another.
              {form?.errors.form && ` (${form.errors.form})`}
            </div>
          ) : (
            <CreateKeyForm accountId={account.id} environment={environment} csrf={csrf} allowedScopes={services.config.scopes} state={form} />
          )}
        </section>
      )}
    </Layout>,
    status,
  );
}

export function keyListRoutes(services: Services) {
  const app = new Hono<ConsoleEnv>();
  // One static route per environment (hono's RegExpRouter refuses a regex parameter beside /operations).
  for (const environment of ENVIRONMENTS) {
    app.get(`/accounts/:accountId/${environment}`, async (c) => {
      const opened = await openAccount(c, services, 'read');
      return environmentPage(c, services, opened, environment);
    });
  }
  return app.post('/accounts/:accountId/keys', async (c) => {
    const opened = await openAccount(c, services, 'manage');
    const form = await readForm(c);
    const environment = formText(form, 'environment');
    if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
      throw new ConsoleError(400, 'Bad request', 'Choose sandbox or production for the new key.');
    }
    const values = readKeyFormValues(form, 'create');
    const rerender = (errors: KeyFormState['errors'], status: ContentfulStatusCode, shown = values) =>
      environmentPage(c, services, opened, environment as Environment, { values: shown, errors }, status);

    const parsed = await parseKeyForm(values, services.clock.now());
    if (!parsed.ok) return rerender(parsed.errors, 400, parsed.values);
    const { expiresAt, jwks, ...input } = parsed.input;
    const created = await services.management.createKey(c.get('actor'), opened.account.id, {
      ...input,
      environment: environment as Environment,
      expiresAt: expiresAt ?? null,
      ...(jwks !== undefined && { jwks }),
    });
    if (!created.ok) {
      const { errors, status } = keyFormFailure(created);
      return rerender(errors, status);
    }
    const { key, applicationSecret } = created.value;
    // A private_key_jwt key has no secret to show once: its own page shows its public keys' thumbprints.
    if (applicationSecret === undefined) {
      announce(c, 'key-created-without-secret');
      return c.redirect(paths.key(key.accountId, key.id), 303);
    }
    const secretPage = paths.keySecret(key.accountId, key.id);
    flashSecret(c, secretPage, 'created', applicationSecret);
    return c.redirect(secretPage, 303);
  });
}
