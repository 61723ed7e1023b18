/** @jsxImportSource hono/jsx */
// Where a session lands: an account admin goes to its own account; root sees every account a page at a time, opens one
// by id or creates one.
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { authorize } from '../../core/admin-access.js';
import { isId } from '../../core/ids.js';
import { createNameSchema, NAME_MAX_LENGTH } from '../../core/key-rules.js';
import type { AccountRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, formText, openAccount, readForm, renderPage, type ConsoleEnv } from './context.js';
import { CONSOLE_UNSAFE_NAME, CsrfField, ForScreenReaders, Layout, TextField, Time } from './layout.js';
import { paths } from './paths.js';

const ACCOUNT_NAME_LENGTH = `Give the account a name of 1 to ${NAME_MAX_LENGTH} characters.`;
const accountName = createNameSchema({ empty: ACCOUNT_NAME_LENGTH, tooLong: ACCOUNT_NAME_LENGTH, unsafe: () => CONSOLE_UNSAFE_NAME });

const PAGE_SIZE = 50;

interface AccountsState {
  accountId?: string;
  openError?: string;
  name?: string;
  createError?: string;
}

function AccountRow({ account }: { account: AccountRecord }) {
  return (
    <tr data-account-id={account.id}>
      <td data-label="Name">
        <a class="key-name account-link" href={paths.environment(account.id, 'sandbox')} title={account.name}>
          {account.name}
          <ForScreenReaders>: keys</ForScreenReaders>
        </a>
      </td>
      <td data-label="Account ID">
        <code>{account.id}</code>
      </td>
      <td data-label="Created">
        <Time at={account.createdAt} />
      </td>
    </tr>
  );
}

function AccountTable({ accounts, after, next }: { accounts: AccountRecord[]; after: string | undefined; next: string | null }) {
  return (
    <section class="panel table-panel" aria-labelledby="accounts-heading">
      <h2 id="accounts-heading" class="vh">
        Every account
      </h2>
      {accounts.length === 0 ? (
        <p class="empty">{after ? 'No more accounts.' : 'No accounts yet: create the first one below.'}</p>
      ) : (
        <table class="accounts stack">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Account ID</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((account) => (
              <AccountRow account={account} />
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        {after && <a href={paths.accounts}>First accounts</a>}
        {next && <a href={`${paths.accounts}?cursor=${encodeURIComponent(next)}`}>Next accounts</a>}
      </div>
    </section>
  );
}

async function accountsPage(c: Context<ConsoleEnv>, services: Services, state: AccountsState = {}, status: ContentfulStatusCode = 200) {
  const cursor = c.req.query('cursor');
  const after = cursor !== undefined && isId('acct', cursor) ? cursor : undefined;
  const page = await services.management.listAccounts({ after, limit: PAGE_SIZE });
  return renderPage(
    c,
    <Layout title="Accounts" chrome={chromeOf(c)}>
      <h1>Accounts</h1>
      <p class="lead">
        You are signed in with the operator's root token. Every account, oldest first: open one to see its keys, or
        open one by its id, or create one.
      </p>
      <AccountTable accounts={page.items} after={after} next={page.next} />
      <section class="panel narrow">
        <h2>Open an account</h2>
        <form method="get" action={paths.accounts}>
          <TextField name="account" label="Account ID" placeholder="acct_…" value={state.accountId} error={state.openError} required />
          <div class="form-row">
            <button type="submit" class="primary">
              Open
            </button>
          </div>
        </form>
      </section>
      <section class="panel narrow">
        <h2>Create an account</h2>
        <form method="post" action={paths.accounts}>
          <CsrfField csrf={c.get('csrf')} />
          <TextField name="name" label="Name" maxlength={NAME_MAX_LENGTH} value={state.name} error={state.createError} required />
          <div class="form-row">
            <button type="submit">Create account</button>
          </div>
        </form>
      </section>
    </Layout>,
    status,
  );
}

function requireRoot(c: Context<ConsoleEnv>): void {
  const allowed = authorize(c.get('actor'), 'root');
  if (!allowed.ok) throw new ConsoleError(403, 'Not allowed', allowed.detail ?? 'only the operator root token may do this');
}

export function accountRoutes(services: Services) {
  const { management } = services;
  return new Hono<ConsoleEnv>()
    .get('/', (c) => {
      const actor = c.get('actor');
      return c.redirect(actor.kind === 'root' ? paths.accounts : paths.account(actor.accountId), 303);
    })
    .get('/accounts', async (c) => {
      const actor = c.get('actor');
      if (actor.kind !== 'root') return c.redirect(paths.account(actor.accountId), 303);
      const wanted = c.req.query('account')?.trim();
      if (!wanted) return accountsPage(c, services);
      const found = isId('acct', wanted) ? await management.getAccount(wanted) : null;
      if (found?.ok) return c.redirect(paths.account(found.value.id), 303);
      return accountsPage(c, services, { accountId: wanted, openError: `There is no account "${wanted}".` }, 404);
    })
    .post('/accounts', async (c) => {
      requireRoot(c);
      const name = formText(await readForm(c), 'name').trim();
      const checked = accountName.safeParse(name);
      // The length is named first, as the form asks for it first.
      if (!checked.success) return accountsPage(c, services, { name, createError: checked.error.issues[0]!.message }, 400);
      const account = await management.createAccount(c.get('actor'), name);
      return c.redirect(paths.account(account.id), 303);
    })
    .get('/accounts/:accountId', async (c) => {
      const { account } = await openAccount(c, services, 'read');
      return c.redirect(paths.environment(account.id, 'sandbox'), 303);
    });
}
