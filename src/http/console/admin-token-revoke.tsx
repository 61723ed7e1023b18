/** @jsxImportSource hono/jsx */
// Revoking an account's admin token (root): a confirmation that says what stops, then the revoke, refused from the
// next request on (console sessions signed in with it included).
import { Hono, type Context } from 'hono';
import type { AdminTokenSummary } from '../../core/key-management.js';
import { isId } from '../../core/ids.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, openAccount, renderPage, type ConsoleEnv } from './context.js';
import { ConfirmPanel } from './confirm-panel.js';
import { LastUsed } from './key-views.js';
import { Layout, Time } from './layout.js';
import { announce } from './notices.js';
import { paths } from './paths.js';

function noSuchToken(): ConsoleError {
  return new ConsoleError(404, 'No such admin token', 'This account has no such admin token; it may have been revoked already.');
}

/** The token in the path, among the account's own: another account's token id is a 404 here. */
async function openToken(c: Context<ConsoleEnv>, services: Services) {
  const { account } = await openAccount(c, services, 'root');
  const tokenId = c.req.param('tokenId') ?? '';
  const listed = isId('adm', tokenId) ? await services.management.listAdminTokens(account.id) : null;
  const token = listed?.ok ? listed.value.find((candidate) => candidate.id === tokenId) : undefined;
  if (!token) throw noSuchToken();
  return { account, token };
}

function TokenFacts({ token }: { token: AdminTokenSummary }) {
  return (
    <>
      <dt>Name</dt>
      <dd class="token-name">{token.name}</dd>
      <dt>Role</dt>
      <dd>{token.role}</dd>
      <dt>Token ID</dt>
      <dd>
        <code>{token.id}</code>
      </dd>
      <dt>Created</dt>
      <dd>
        <Time at={token.createdAt} />
      </dd>
      <dt>Last used</dt>
      <dd>
        <LastUsed at={token.lastUsedAt} />
      </dd>
    </>
  );
}

export function adminTokenRevokeRoutes(services: Services) {
  return new Hono<ConsoleEnv>()
    .get('/accounts/:accountId/admin-tokens/:tokenId/revoke', async (c) => {
      const { account, token } = await openToken(c, services);
      const title = `Revoke the admin token “${token.name}”?`;
      return renderPage(
        c,
        <Layout title={title} chrome={chromeOf(c, { account, section: 'admin-tokens' })}>
          <ConfirmPanel
            title={title}
            facts={<TokenFacts token={token} />}
            consequences={[
              'From the next request on, the token is refused by the admin API and can no longer sign in to this console.',
              'Console sessions signed in with it end at once. This cannot be undone: create a new token if one is needed again.',
              'Keys and everything else the token made stay as they are.',
            ]}
            action={paths.adminTokenRevoke(account.id, token.id)}
            csrf={c.get('csrf')}
            button="Revoke admin token"
            cancel={paths.adminTokens(account.id)}
          />
        </Layout>,
      );
    })
    .post('/accounts/:accountId/admin-tokens/:tokenId/revoke', async (c) => {
      const { account, token } = await openToken(c, services);
      if (!(await services.management.deleteAdminToken(c.get('actor'), account.id, token.id)).ok) throw noSuchToken();
      announce(c, 'admin-token-revoked');
      return c.redirect(paths.adminTokens(account.id), 303);
    });
}
