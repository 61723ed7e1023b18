/** @jsxImportSource hono/jsx */
// What a manager does to one key: confirm and regenerate, delete or revoke its sessions; disable and enable;
// and the page that shows a new application secret, once.
import { Hono, type Context } from 'hono';
import type { PropsWithChildren } from 'hono/jsx';
import { ENVIRONMENT_TAGS } from '../../shared/domain.js';
import { isId } from '../../core/ids.js';
import type { AccountRecord, KeyRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, formText, openAccount, readForm, renderPage, type ConsoleEnv } from './context.js';
import type { KeyNotice } from './keys.js';
import { CsrfField, ENVIRONMENT_LABELS, Layout } from './layout.js';
import { paths } from './paths.js';
import { flashSecret, takeFlashedSecret, type SecretEvent } from './session.js';

type ConfirmedAction = 'regenerate' | 'delete' | 'revoke-sessions';

/** "1 hour", "15 minutes", "90 seconds": a session lifetime in words. */
export function describeDuration(seconds: number): string {
  const [amount, unit] =
    seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

interface Confirmation {
  title: (key: KeyRecord) => string;
  consequences: (key: KeyRecord, sessionLifetime: string) => string[];
  button: string;
  /** A checkbox that widens the action, posted as `name=on` when ticked. */
  option?: { name: string; label: string };
}

const CONFIRMATIONS: Record<ConfirmedAction, Confirmation> = {
  regenerate: {
    title: (key) => `Regenerate “${key.name}”?`,
    consequences: (key, lifetime) => [
      'The key gets a new application ID and a new application secret. The secret is shown once, on the next page.',
      'The current application ID and secret stop working at once: they can no longer mint session tokens.',
      `Old sessions stay valid until they expire: session tokens already minted with the old pair keep working for up to ${lifetime} in ${key.environment}. Revoke the key’s sessions to end them sooner.`,
    ],
    button: 'Regenerate key',
  },
  delete: {
    title: (key) => `Delete “${key.name}”?`,
    consequences: (_key, lifetime) => [
      'The key is removed for good: its application ID and secret can no longer mint session tokens. This cannot be undone.',
      `Session tokens already minted with it stay valid until they expire (up to ${lifetime}), unless you revoke them below.`,
    ],
    button: 'Delete key',
    option: { name: 'revokeSessions', label: 'Also revoke every live session of this key now (its secret may have leaked)' },
  },
  'revoke-sessions': {
    title: (key) => `Revoke every session of “${key.name}”?`,
    consequences: () => [
      'Every live session token minted with this key is revoked at once: introspection, tokeninfo and keymint’s proxy in strict mode reject them.',
      'Services that verify tokens only against the JWKS, without asking keymint, accept them until they expire.',
      'The key itself stays as it is and can mint new session tokens; regenerate or disable it too if its secret leaked.',
    ],
    button: 'Revoke sessions',
  },
};

/** The key's name and environment, then whatever else the page shows about it. */
function KeyFacts({ keyRecord, children }: PropsWithChildren<{ keyRecord: KeyRecord }>) {
  return (
    <dl class="facts">
      <dt>Name</dt>
      <dd>{keyRecord.name}</dd>
      <dt>Environment</dt>
      <dd>{ENVIRONMENT_LABELS[keyRecord.environment]}</dd>
      {children}
    </dl>
  );
}

function confirmationPage(c: Context<ConsoleEnv>, services: Services, account: AccountRecord, key: KeyRecord, action: ConfirmedAction) {
  const confirmation = CONFIRMATIONS[action];
  const lifetime = describeDuration(services.config.sessionTtl[key.environment]);
  const title = confirmation.title(key);
  return renderPage(
    c,
    <Layout title={title} chrome={chromeOf(c, { account, section: key.environment })}>
      <section class="panel narrow confirm">
        <h1>{title}</h1>
        <KeyFacts keyRecord={key}>
          <dt>Key ID</dt>
          <dd>
            <code>{key.id}</code>
          </dd>
          <dt>Application ID</dt>
          <dd>
            <code>{key.applicationId}</code>
          </dd>
          <dt>Secret</dt>
          <dd>
            <code>…{key.secretHint}</code>
          </dd>
        </KeyFacts>
        <div class="warning" role="note">
          <ul>
            {confirmation.consequences(key, lifetime).map((line) => (
              <li>{line}</li>
            ))}
          </ul>
        </div>
        <form method="post" action={paths.keyAction(account.id, key.id, action)}>
          <CsrfField csrf={c.get('csrf')} />
          {confirmation.option && (
            <label class="option">
              <input type="checkbox" name={confirmation.option.name} /> {confirmation.option.label}
            </label>
          )}
          <div class="form-row">
            <button type="submit" class="danger">
              {confirmation.button}
            </button>
            <a class="button" href={paths.environment(account.id, key.environment)}>
              Cancel
            </a>
          </div>
        </form>
      </section>
    </Layout>,
  );
}

/** A value with a copy button (the console script copies the element named by data-copy-target). */
function CopyableFact(props: { label: string; id: string; value: string; secret?: boolean }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>
        <code class={props.secret ? 'copyable secret' : 'copyable'} id={props.id}>
          {props.value}
        </code>
        <button type="button" class={props.secret ? 'copy primary' : 'copy'} data-copy-target={props.id}>
          {props.secret ? 'Copy secret' : 'Copy'}
        </button>
      </dd>
    </>
  );
}

const SECRET_HEADINGS: Record<SecretEvent, string> = { created: 'Key created', regenerated: 'Key regenerated' };

function secretPage(
  c: Context<ConsoleEnv>,
  services: Services,
  account: AccountRecord,
  key: KeyRecord,
  shown: { event: SecretEvent; secret: string },
) {
  return renderPage(
    c,
    <Layout title={SECRET_HEADINGS[shown.event]} chrome={chromeOf(c, { account, section: key.environment })}>
      <section class="panel shown-once">
        <h1>{SECRET_HEADINGS[shown.event]}</h1>
        <div class="warning" role="alert">
          <strong>Copy the application secret now.</strong> It will not be shown again: keymint keeps only a hash of it.
          If you lose it, regenerate the key.
        </div>
        <KeyFacts keyRecord={key}>
          <CopyableFact label="Application ID" id="application-id" value={key.applicationId} />
          <CopyableFact label="Application secret" id="application-secret" value={shown.secret} secret />
          <dt>Token endpoint</dt>
          <dd>
            <code>{`${services.config.publicUrl}/${key.environment}/oauth/token`}</code>
          </dd>
        </KeyFacts>
        <div class="form-row">
          <a class="button" href={paths.environment(account.id, key.environment)}>
            Done: back to {ENVIRONMENT_LABELS[key.environment].toLowerCase()} keys
          </a>
        </div>
      </section>
    </Layout>,
  );
}

function secretGonePage(c: Context<ConsoleEnv>, account: AccountRecord, key: KeyRecord) {
  return renderPage(
    c,
    <Layout title="Secret no longer shown" chrome={chromeOf(c, { account, section: key.environment })}>
      <section class="panel narrow">
        <h1>The secret is no longer shown</h1>
        <p>
          An application secret is shown once, right after it is made. keymint keeps only a hash of it. If you did not
          store it, regenerate the key to get a new one.
        </p>
        <p>
          <a href={paths.environment(account.id, key.environment)}>Back to {ENVIRONMENT_LABELS[key.environment].toLowerCase()} keys</a>
        </p>
      </section>
    </Layout>,
    410,
  );
}

function isSecretOf(key: KeyRecord, secret: string): boolean {
  // The flashed secret must be the key's current one (not one regenerated away since).
  return secret.startsWith(`sk_${ENVIRONMENT_TAGS[key.environment]}_`) && key.secretHint !== null && secret.endsWith(key.secretHint);
}

export function keyActionRoutes(services: Services) {
  const { management } = services;

  const notFound = () => new ConsoleError(404, 'No such key', 'This account has no such key; it may have been deleted.');

  /** The account and key in the path, for a token that may manage them; 403/404 pages otherwise. */
  async function openKey(c: Context<ConsoleEnv>) {
    const { account } = await openAccount(c, services, 'manage');
    const keyId = c.req.param('keyId') ?? '';
    const found = isId('key', keyId) ? await management.getKey(account.id, keyId) : null;
    if (!found?.ok) throw notFound();
    return { account, key: found.value };
  }

  const backTo = (c: Context, key: KeyRecord, notice: KeyNotice, count?: number) =>
    c.redirect(
      `${paths.environment(key.accountId, key.environment)}?notice=${notice}${count === undefined ? '' : `&count=${count}`}`,
      303,
    );

  const app = new Hono<ConsoleEnv>();
  // One static route per action (hono's RegExpRouter refuses a regex parameter beside static siblings).
  for (const action of ['regenerate', 'delete', 'revoke-sessions'] as const satisfies readonly ConfirmedAction[]) {
    app.get(`/accounts/:accountId/keys/:keyId/${action}`, async (c) => {
      const { account, key } = await openKey(c);
      return confirmationPage(c, services, account, key, action);
    });
  }
  for (const status of ['disable', 'enable'] as const) {
    app.post(`/accounts/:accountId/keys/:keyId/${status}`, async (c) => {
      const { account, key } = await openKey(c);
      const disable = status === 'disable';
      const changed = await management.setKeyStatus(c.get('actor'), account.id, key.id, disable ? 'disabled' : 'active');
      if (!changed.ok) throw notFound();
      return backTo(c, key, disable ? 'disabled' : 'enabled');
    });
  }
  return app
    .post('/accounts/:accountId/keys/:keyId/regenerate', async (c) => {
      const { account, key } = await openKey(c);
      const regenerated = await management.regenerateKey(c.get('actor'), account.id, key.id);
      if (!regenerated.ok) throw notFound();
      const secretPath = paths.keySecret(account.id, key.id);
      // A private_key_jwt key gets a new application ID and no secret: nothing to show once.
      if (regenerated.value.applicationSecret === undefined) return c.redirect(`${paths.keys(account.id)}/${key.id}`, 303);
      flashSecret(c, secretPath, 'regenerated', regenerated.value.applicationSecret);
      return c.redirect(secretPath, 303);
    })
    .post('/accounts/:accountId/keys/:keyId/delete', async (c) => {
      const { account, key } = await openKey(c);
      const revokeSessions = formText(await readForm(c), 'revokeSessions') === 'on';
      if (!(await management.deleteKey(c.get('actor'), account.id, key.id, { revokeSessions })).ok) throw notFound();
      return backTo(c, key, revokeSessions ? 'deleted-and-revoked' : 'deleted');
    })
    .post('/accounts/:accountId/keys/:keyId/revoke-sessions', async (c) => {
      const { account, key } = await openKey(c);
      const revoked = await management.revokeKeySessions(c.get('actor'), account.id, key.id);
      if (!revoked.ok) throw notFound();
      return backTo(c, key, 'sessions-revoked', revoked.value.revoked);
    })
    .get('/accounts/:accountId/keys/:keyId/secret', async (c) => {
      const { account, key } = await openKey(c);
      const shown = takeFlashedSecret(c, paths.keySecret(account.id, key.id));
      if (!shown || !isSecretOf(key, shown.secret)) return secretGonePage(c, account, key);
      return secretPage(c, services, account, key, shown);
    });
}
