/** @jsxImportSource hono/jsx */
// The account's audit log, newest first, a page at a time, filtered by environment, key, action and actor.
import { Hono, type Context } from 'hono';
import { isId } from '../../core/ids.js';
import { searchOperations, type OperationFilter } from '../../core/operation-search.js';
import { ENVIRONMENTS, type Environment } from '../../shared/domain.js';
import type { KeyRecord, OperationAction, OperationRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, openAccount, renderPage, type ConsoleEnv } from './context.js';
import { ENVIRONMENT_LABELS, Layout, Time } from './layout.js';
import { listAllKeys } from './key-list.js';
import { paths } from './paths.js';

const PAGE_SIZE = 50;
/** How many entries one filtered page reads at most before it offers to go on (a filter matching nothing stays cheap). */
const SCAN_LIMIT = 2000;

/** A Record, so a new action fails the build until it has a label here. */
export const ACTION_LABELS: Record<OperationAction, string> = {
  'account.created': 'Account created',
  'admin_token.created': 'Admin token created',
  'admin_token.revoked': 'Admin token revoked',
  'key.created': 'Key created',
  'key.updated': 'Key updated',
  'key.regenerated': 'Key regenerated',
  'key.disabled': 'Key disabled',
  'key.enabled': 'Key enabled',
  'key.deleted': 'Key deleted',
  'key.sessions_revoked': 'Sessions revoked',
  'key.previous_retired': 'Previous secret retired',
  'signing_key.rotated': 'Signing key rotated',
  'webhook.created': 'Webhook created',
  'webhook.deleted': 'Webhook deleted',
};

function OperationRow({ operation, keyNames }: { operation: OperationRecord; keyNames: Map<string, string> }) {
  const keyName = operation.keyId ? keyNames.get(operation.keyId) : undefined;
  return (
    <tr data-action={operation.action}>
      <td data-label="When">
        <Time at={operation.at} />
      </td>
      <td data-label="Action">
        {ACTION_LABELS[operation.action]}
        <span class="sub mono">{operation.action}</span>
      </td>
      <td data-label="Environment">{operation.environment ? ENVIRONMENT_LABELS[operation.environment] : '—'}</td>
      <td data-label="Key">
        {operation.keyId ? (
          <>
            {keyName ?? <span class="sub">(deleted)</span>}
            <span class="sub mono">{operation.keyId}</span>
          </>
        ) : (
          '—'
        )}
      </td>
      <td data-label="Actor">
        <span class="mono">{operation.actor}</span>
        {operation.actor === 'root' ? <span class="sub">operator</span> : <span class="sub">admin token</span>}
      </td>
    </tr>
  );
}

/** The filter as the query string gave it; a value that is not one of the choices is ignored, not an error. */
function readOperationFilter(c: Context): OperationFilter {
  const environment = c.req.query('environment') ?? '';
  const keyId = c.req.query('key') ?? '';
  const action = c.req.query('action') ?? '';
  const actor = (c.req.query('actor') ?? '').trim();
  return {
    ...((ENVIRONMENTS as readonly string[]).includes(environment) && { environment: environment as Environment }),
    ...(isId('key', keyId) && { keyId }),
    ...(Object.hasOwn(ACTION_LABELS, action) && { action: action as OperationAction }),
    ...((actor === 'root' || isId('adm', actor)) && { actor }),
  };
}

function filterQuery(filter: OperationFilter, cursor?: string): string {
  const query = new URLSearchParams();
  if (filter.environment) query.set('environment', filter.environment);
  if (filter.keyId) query.set('key', filter.keyId);
  if (filter.action) query.set('action', filter.action);
  if (filter.actor) query.set('actor', filter.actor);
  if (cursor) query.set('cursor', cursor);
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

function OperationFilterForm({ action, filter, keys }: { action: string; filter: OperationFilter; keys: KeyRecord[] }) {
  const filtered = Object.keys(filter).length > 0;
  return (
    <form method="get" action={action} class="filters" role="search" aria-label="Filter the audit log">
      <div class="filter">
        <label for="filter-environment">Environment</label>
        <select id="filter-environment" name="environment">
          <option value="">any</option>
          {ENVIRONMENTS.map((environment) => (
            <option value={environment} selected={filter.environment === environment}>
              {ENVIRONMENT_LABELS[environment]}
            </option>
          ))}
        </select>
      </div>
      <div class="filter">
        <label for="filter-key">Key</label>
        <select id="filter-key" name="key">
          <option value="">any</option>
          {keys.map((key) => (
            <option value={key.id} selected={filter.keyId === key.id}>
              {key.name.length > 40 ? `${key.name.slice(0, 39)}…` : key.name} ({ENVIRONMENT_LABELS[key.environment].toLowerCase()})
            </option>
          ))}
        </select>
      </div>
      <div class="filter">
        <label for="filter-action">Action</label>
        <select id="filter-action" name="action">
          <option value="">any</option>
          {Object.entries(ACTION_LABELS).map(([value, label]) => (
            <option value={value} selected={filter.action === value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div class="filter">
        <label for="filter-actor">Actor</label>
        <input type="search" id="filter-actor" name="actor" value={filter.actor ?? ''} placeholder="root or adm_…" autocomplete="off" />
      </div>
      <div class="filter filter-buttons">
        <button type="submit">Filter</button>
        {filtered && (
          <a class="button" href={action}>
            Clear
          </a>
        )}
      </div>
    </form>
  );
}

export function operationRoutes(services: Services) {
  return new Hono<ConsoleEnv>().get('/accounts/:accountId/operations', async (c) => {
    const { account } = await openAccount(c, services, 'read');
    const cursor = c.req.query('cursor');
    const after = cursor !== undefined && isId('op', cursor) ? cursor : undefined;
    const filter = readOperationFilter(c);
    const filtered = Object.keys(filter).length > 0;
    const [page, keys] = await Promise.all([
      searchOperations((query) => services.management.listOperations(account.id, query), filter, {
        after,
        limit: PAGE_SIZE,
        scanLimit: filtered ? SCAN_LIMIT : PAGE_SIZE,
      }),
      listAllKeys(services, account.id),
    ]);
    const keyNames = new Map(keys.map((key) => [key.id, key.name]));
    const base = paths.operations(account.id);
    return renderPage(
      c,
      <Layout title="Audit log" chrome={chromeOf(c, { account, section: 'operations' })}>
        <h1>Audit log</h1>
        <p class="lead">Every change to this account’s keys and admin tokens, newest first, with who made it.</p>
        <section class="panel table-panel">
          <OperationFilterForm action={base} filter={filter} keys={keys} />
          {page.items.length === 0 ? (
            <p class="empty">
              {filtered
                ? page.next
                  ? `No entry matches among the ${page.scanned} read; older entries may.`
                  : 'No entry matches that filter.'
                : 'Nothing has happened yet.'}
            </p>
          ) : (
            <table class="operations stack">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Key</th>
                  <th scope="col">Actor</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((operation) => (
                  <OperationRow operation={operation} keyNames={keyNames} />
                ))}
              </tbody>
            </table>
          )}
          <div class="pager">
            {after && <a href={`${base}${filterQuery(filter)}`}>Newest entries</a>}
            {page.next && <a href={`${base}${filterQuery(filter, page.next)}`}>Older entries</a>}
          </div>
        </section>
      </Layout>,
    );
  });
}
