/** @jsxImportSource hono/jsx */
// An account's admin tokens (root): the list (never the tokens), create one, manager or viewer, and see it once on the
// page after. Revoking one is admin-token-revoke.tsx.
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isId } from '../../core/ids.js';
import { createNameSchema, NAME_MAX_LENGTH } from '../../core/key-rules.js';
import type { AdminTokenSummary } from '../../core/key-management.js';
import type { AccountRecord, AdminRole } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, formText, openAccount, readForm, renderPage, type ConsoleEnv } from './context.js';
import { LastUsed } from './key-views.js';
import { CONSOLE_UNSAFE_NAME, Copyable, CsrfField, errorId, FieldError, ForScreenReaders, Layout, TextField, Time } from './layout.js';
import { paths } from './paths.js';
import { flashSecret, takeFlashedSecret } from './session.js';

const ROLES: Record<AdminRole, string> = {
  manager: 'Manager — creates, edits and deletes keys',
  viewer: 'Viewer — reads keys and the audit log, changes nothing',
};

const tokenName = createNameSchema({
  empty: 'Give the token a name: the console header and the audit log show it.',
  tooLong: `Keep the name to ${NAME_MAX_LENGTH} characters.`,
  unsafe: () => CONSOLE_UNSAFE_NAME,
});

interface TokenForm {
  name: string;
  role: AdminRole;
  errors: { name?: string; role?: string };
}

/** The account's admin tokens, or a 404 page when the account went away meanwhile. */
async function listTokens(services: Services, account: AccountRecord): Promise<AdminTokenSummary[]> {
  const listed = await services.management.listAdminTokens(account.id);
  if (!listed.ok) throw new ConsoleError(404, 'No such account', `there is no account ${account.id}`);
  return listed.value;
}

function TokenRow({ token }: { token: AdminTokenSummary }) {
  return (
    <tr data-token-id={token.id}>
      <td data-label="Name">
        <span class="key-name token-name">{token.name}</span>
        <span class="sub mono">{token.id}</span>
      </td>
      <td data-label="Role">{token.role}</td>
      <td data-label="Created · last used">
        <Time at={token.createdAt} />
        <span class="sub">
          <LastUsed at={token.lastUsedAt} />
        </span>
      </td>
      <td data-label="Actions">
        <a class="button danger-outline" href={paths.adminTokenRevoke(token.accountId, token.id)}>
          Revoke<ForScreenReaders> admin token {token.name}</ForScreenReaders>
        </a>
      </td>
    </tr>
  );
}

function TokenTable({ tokens }: { tokens: AdminTokenSummary[] }) {
  if (tokens.length === 0) return <p class="empty">No admin tokens yet: only the operator's root token can open this account.</p>;
  return (
    <table class="admin-tokens stack">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Role</th>
          <th scope="col">Created · last used</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((token) => (
          <TokenRow token={token} />
        ))}
      </tbody>
    </table>
  );
}

function adminTokensPage(
  c: Context<ConsoleEnv>,
  account: AccountRecord,
  tokens: AdminTokenSummary[],
  form?: TokenForm,
  status: ContentfulStatusCode = 200,
) {
  const values = form ?? { name: '', role: 'viewer' as AdminRole, errors: {} };
  return renderPage(
    c,
    <Layout title="Admin tokens" chrome={chromeOf(c, { account, section: 'admin-tokens' })}>
      <h1>Admin tokens</h1>
      <p class="lead">
        An admin token signs in to this console and calls the admin API for this account alone. It is shown once, when
        it is made; keymint keeps only a keyed hash of it.
      </p>
      <section class="panel table-panel" aria-label="Admin tokens of this account">
        <TokenTable tokens={tokens} />
      </section>
      <section class="panel narrow" aria-labelledby="create-token-heading">
        <h2 id="create-token-heading">Create an admin token</h2>
        <form method="post" action={paths.adminTokens(account.id)} class="create-token" novalidate>
          <CsrfField csrf={c.get('csrf')} />
          <TextField
            name="name"
            label="Name"
            placeholder="e.g. billing dashboard"
            maxlength={NAME_MAX_LENGTH}
            value={values.name}
            error={values.errors.name}
            focus={values.errors.name !== undefined}
            required
          />
          <fieldset class="expiry" aria-describedby={values.errors.role ? errorId('role') : undefined}>
            <legend>Role</legend>
            {(Object.keys(ROLES) as AdminRole[]).map((role) => (
              <label class="choice" for={`role-${role}`}>
                <input type="radio" name="role" id={`role-${role}`} value={role} checked={values.role === role} /> <span>{ROLES[role]}</span>
              </label>
            ))}
            <FieldError field="role" error={values.errors.role} />
          </fieldset>
          <div class="form-row">
            <button type="submit" class="primary">
              Create admin token
            </button>
          </div>
        </form>
      </section>
    </Layout>,
    status,
  );
}

function tokenShownPage(c: Context<ConsoleEnv>, account: AccountRecord, shown: { token: string; name: string; role: AdminRole }) {
  return renderPage(
    c,
    <Layout title="Admin token created" chrome={chromeOf(c, { account, section: 'admin-tokens' })}>
      <section class="panel shown-once">
        <h1>Admin token created</h1>
        <div class="warning" role="alert">
          <strong>Copy the token now.</strong> It will not be shown again: keymint keeps only a hash of it.
        </div>
        <dl class="facts">
          <dt>Name</dt>
          <dd class="token-name">{shown.name}</dd>
          <dt>Role</dt>
          <dd>{shown.role}</dd>
          <dt>Token</dt>
          <dd>
            <Copyable id="admin-token" value={shown.token} what="admin token" secret />
          </dd>
        </dl>
        <div class="form-row">
          <a class="button" href={paths.adminTokens(account.id)}>
            Done
          </a>
        </div>
      </section>
    </Layout>,
  );
}

export function adminTokenRoutes(services: Services) {
  return new Hono<ConsoleEnv>()
    .get('/accounts/:accountId/admin-tokens', async (c) => {
      const { account } = await openAccount(c, services, 'root');
      return adminTokensPage(c, account, await listTokens(services, account));
    })
    .post('/accounts/:accountId/admin-tokens', async (c) => {
      const { account } = await openAccount(c, services, 'root');
      const form = await readForm(c);
      const rawRole = formText(form, 'role');
      const role: AdminRole = rawRole === 'manager' ? 'manager' : 'viewer';
      const name = tokenName.safeParse(formText(form, 'name'));
      const errors: TokenForm['errors'] = {};
      if (!name.success) errors.name = name.error.issues[0]!.message;
      if (!Object.hasOwn(ROLES, rawRole)) errors.role = 'Choose manager or viewer.';
      if (!name.success || errors.role) {
        return adminTokensPage(c, account, await listTokens(services, account), { name: formText(form, 'name'), role, errors }, 400);
      }
      const created = await services.management.createAdminToken(c.get('actor'), account.id, { name: name.data, role });
      if (!created.ok) throw new ConsoleError(404, 'No such account', `there is no account ${account.id}`);
      const shownPath = paths.adminTokenShown(account.id, created.value.id);
      flashSecret(c, shownPath, 'created', created.value.token);
      return c.redirect(shownPath, 303);
    })
    .get('/accounts/:accountId/admin-tokens/:tokenId/token', async (c) => {
      const { account } = await openAccount(c, services, 'root');
      const tokenId = c.req.param('tokenId');
      const flashed = isId('adm', tokenId) ? takeFlashedSecret(c, paths.adminTokenShown(account.id, tokenId)) : null;
      // The flashed token must still authenticate as this very token of this account.
      const actor = flashed ? await services.adminAccess.authenticate(flashed.secret) : null;
      if (!flashed || !actor?.ok || actor.value.kind !== 'account-admin' || actor.value.tokenId !== tokenId || actor.value.accountId !== account.id) {
        throw new ConsoleError(410, 'Token no longer shown', 'An admin token is shown once, right after it is made. Create another if it was not stored.');
      }
      return tokenShownPage(c, account, { token: flashed.secret, name: actor.value.name, role: actor.value.role });
    });
}
