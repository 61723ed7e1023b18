/** @jsxImportSource hono/jsx */
// The operator's signing keys, per environment: which key signs session tokens now, which retired ones the JWKS still
// publishes and until when, and a rotate button that says what rotating does. Root only, through the admin API's keyring.
import { Hono, type Context } from 'hono';
import { authorize } from '../../core/admin-access.js';
import type { SigningKeyView } from '../../core/keyring.js';
import { ENVIRONMENTS, type Environment } from '../../shared/domain.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, renderPage, type ConsoleEnv } from './context.js';
import { CsrfField, ENVIRONMENT_LABELS, Layout, Time } from './layout.js';
import { announce } from './notices.js';
import { paths } from './paths.js';

function requireRoot(c: Context<ConsoleEnv>): void {
  const allowed = authorize(c.get('actor'), 'root');
  if (!allowed.ok) throw new ConsoleError(403, 'Not allowed', allowed.detail ?? 'only the operator root token may do this');
}

function SigningKeyRow({ signingKey }: { signingKey: SigningKeyView }) {
  return (
    <tr data-kid={signingKey.kid}>
      <td data-label="Key ID">
        <code class="kid">{signingKey.kid}</code>
      </td>
      <td data-label="Algorithm">{signingKey.alg}</td>
      <td data-label="Status">
        <span class={`badge ${signingKey.status === 'active' ? 'active' : 'retired'}`}>{signingKey.status}</span>
      </td>
      <td data-label="Created">
        <Time at={signingKey.createdAt} />
      </td>
      <td data-label="In the JWKS until">
        {signingKey.status === 'active' ? 'while active' : signingKey.publishUntil === null ? '—' : <Time at={signingKey.publishUntil} />}
      </td>
    </tr>
  );
}

function EnvironmentKeys({ environment, keys, csrf }: { environment: Environment; keys: SigningKeyView[]; csrf: string }) {
  const label = ENVIRONMENT_LABELS[environment];
  const headingId = `signing-${environment}`;
  return (
    <section class="panel table-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{label}</h2>
      <table class="signing-keys stack">
        <thead>
          <tr>
            <th scope="col">Key ID</th>
            <th scope="col">Algorithm</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">In the JWKS until</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((signingKey) => (
            <SigningKeyRow signingKey={signingKey} />
          ))}
        </tbody>
      </table>
      <form method="post" action={paths.signingKeysRotate(environment)} class="rotate">
        <CsrfField csrf={csrf} />
        <p class="sub">
          New session tokens are signed with a new key at once; the current key stays in the JWKS until the tokens it
          signed have expired, so nothing verifying them breaks.
        </p>
        <button type="submit">
          Rotate the {label.toLowerCase()} signing key
        </button>
      </form>
    </section>
  );
}

export function signingKeyRoutes(services: Services) {
  const app = new Hono<ConsoleEnv>().get('/signing-keys', async (c) => {
    requireRoot(c);
    const lists = await Promise.all(ENVIRONMENTS.map((environment) => services.keyring.list(environment)));
    return renderPage(
      c,
      <Layout title="Signing keys" chrome={chromeOf(c)}>
        <h1>Signing keys</h1>
        <p class="lead">The keys that sign session tokens, per environment. Only their public parts are ever shown.</p>
        {ENVIRONMENTS.map((environment, index) => (
          <EnvironmentKeys environment={environment} keys={lists[index]!} csrf={c.get('csrf')} />
        ))}
      </Layout>,
    );
  });
  // One static route per environment (hono's RegExpRouter refuses a regex parameter beside static siblings).
  for (const environment of ENVIRONMENTS) {
    app.post(`/signing-keys/${environment}/rotate`, async (c) => {
      requireRoot(c);
      await services.keyring.rotate(environment, c.get('actor'));
      announce(c, 'signing-key-rotated');
      return c.redirect(paths.signingKeys, 303);
    });
  }
  return app;
}
