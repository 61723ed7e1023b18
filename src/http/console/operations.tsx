/** @jsxImportSource hono/jsx */
// The account's audit log, newest first, a page at a time.
import { Hono } from 'hono';
import { isId } from '../../core/ids.js';
import type { OperationAction, OperationRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, openAccount, renderPage, type ConsoleEnv } from './context.js';
import { ENVIRONMENT_LABELS, Layout, Time } from './layout.js';
import { listAllKeys } from './keys.js';
import { paths } from './paths.js';

const PAGE_SIZE = 50;

/** A Record, so a new action fails the build until it has a label here. */
const ACTION_LABELS: Record<OperationAction, string> = {
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
      <td>
        <Time at={operation.at} />
      </td>
      <td>
        {ACTION_LABELS[operation.action]}
        <span class="sub mono">{operation.action}</span>
      </td>
      <td>{operation.environment ? ENVIRONMENT_LABELS[operation.environment] : '—'}</td>
      <td>
        {operation.keyId ? (
          <>
            {keyName ?? <span class="sub">(deleted)</span>}
            <span class="sub mono">{operation.keyId}</span>
          </>
        ) : (
          '—'
        )}
      </td>
      <td>
        <span class="mono">{operation.actor}</span>
        {operation.actor === 'root' ? <span class="sub">operator</span> : <span class="sub">admin token</span>}
      </td>
    </tr>
  );
}

export function operationRoutes(services: Services) {
  return new Hono<ConsoleEnv>().get('/accounts/:accountId/operations', async (c) => {
    const { account } = await openAccount(c, services, 'read');
    const cursor = c.req.query('cursor');
    const after = cursor !== undefined && isId('op', cursor) ? cursor : undefined;
    const [page, keys] = await Promise.all([
      services.management.listOperations(account.id, { after, limit: PAGE_SIZE }),
      listAllKeys(services, account.id),
    ]);
    const keyNames = new Map(keys.map((key) => [key.id, key.name]));
    return renderPage(
      c,
      <Layout title="Audit log" chrome={chromeOf(c, { account, section: 'operations' })}>
        <h1>Audit log</h1>
        <p class="lead">Every change to this account’s keys and admin tokens, newest first, with who made it.</p>
        <section class="panel table-panel">
          {page.items.length === 0 ? (
            <p class="empty">Nothing has happened yet.</p>
          ) : (
            <table class="operations">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Action</th>
                  <th>Environment</th>
                  <th>Key</th>
                  <th>Actor</th>
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
            {after && <a href={paths.operations(account.id)}>Newest entries</a>}
            {page.next && <a href={`${paths.operations(account.id)}?cursor=${page.next}`}>Older entries</a>}
          </div>
        </section>
      </Layout>,
    );
  });
}
