/** @jsxImportSource hono/jsx */
// What a manager does to one key: confirm and regenerate, delete (a production key only once its name is typed) or
// revoke its sessions; disable and enable at once.
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AccountRecord, KeyRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { chromeOf, ConsoleError, formText, noSuchKey, openKey, readForm, renderPage, type ConsoleEnv } from './context.js';
import { KeyFacts } from './key-secret.js';
import { SecretHint } from './key-views.js';
import { CsrfField, Layout, TextField } from './layout.js';
import { announce, type Notice } from './notices.js';
import { paths } from './paths.js';
import { flashSecret } from './session.js';

type ConfirmedAction = 'regenerate' | 'delete' | 'revoke-sessions';

/** The overlaps a regenerate offers (core's regenerateKey checks the bound, a week). */
const OVERLAP_CHOICES = [
  { seconds: 0, label: 'No overlap: the current pair stops now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 604_800, label: '7 days' },
] as const;

/** "1 hour", "15 minutes", "90 seconds": a session lifetime in words. */
export function describeDuration(seconds: number): string {
  const [amount, unit] =
    seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

const REGENERATE_SECRET = [
  'The key gets a new application ID and a new application secret. The secret is shown once, on the next page.',
  'Without an overlap, the current application ID and secret stop working at once. With one, they keep minting session tokens until it ends (or until you retire them on the key’s page).',
];

/** What the admin API's regenerate does to a private_key_jwt key: a new application ID, at once, and nothing else. */
const REGENERATE_WITHOUT_SECRET = [
  'The key has no secret to replace: it gets a new application ID, and its public keys stay as they are.',
  'Assertions must name the new application ID as iss and sub: the current one stops minting session tokens at once (there is no overlap for a key without a secret).',
];

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
      ...(key.authMethod === 'private_key_jwt' ? REGENERATE_WITHOUT_SECRET : REGENERATE_SECRET),
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

/** Deleting a production key takes its name typed out, as GitHub asks before deleting a repository. */
function needsTypedName(key: KeyRecord, action: ConfirmedAction): boolean {
  return action === 'delete' && key.environment === 'production';
}

interface TypedName {
  typed: string;
  error?: string;
}

function confirmationPage(
  c: Context<ConsoleEnv>,
  services: Services,
  account: AccountRecord,
  key: KeyRecord,
  action: ConfirmedAction,
  typedName: TypedName = { typed: '' },
  status: ContentfulStatusCode = 200,
) {
  const confirmation = CONFIRMATIONS[action];
  const lifetime = describeDuration(services.config.sessionTtl[key.environment]);
  const title = confirmation.title(key);
  return renderPage(
    c,
    <Layout title={title} chrome={chromeOf(c, { account, environment: key.environment })}>
      <section class="panel narrow confirm">
        <h1 class="key-title">{title}</h1>
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
            <SecretHint keyRecord={key} />
          </dd>
        </KeyFacts>
        <div class="warning" role="note">
          <ul>
            {confirmation.consequences(key, lifetime).map((line) => (
              <li>{line}</li>
            ))}
          </ul>
        </div>
        <form method="post" action={paths.keyAction(account.id, key.id, action)} novalidate>
          <CsrfField csrf={c.get('csrf')} />
          {needsTypedName(key, action) && (
            <TextField
              name="confirmName"
              label="This is a production key. Type its name to confirm:"
              hint={`(${key.name})`}
              value={typedName.typed}
              error={typedName.error}
              focus={typedName.error !== undefined}
              required
            />
          )}
          {action === 'regenerate' && key.authMethod === 'client_secret' && (
            <fieldset class="option">
              <legend>Keep the current pair working for</legend>
              {OVERLAP_CHOICES.map((choice, index) => (
                <label class="option">
                  <input type="radio" name="overlap" value={String(choice.seconds)} checked={index === 0} /> {choice.label}
                </label>
              ))}
            </fieldset>
          )}
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
    status,
  );
}

export function keyActionRoutes(services: Services) {
  const { management } = services;

  /** Back to the environment's list (or to the key's own page, for a form posted from there), with a notice. */
  const backTo = (c: Context, key: KeyRecord, notice: Notice, options: { count?: number; toKey?: boolean } = {}) => {
    announce(c, notice, options.count);
    return c.redirect(options.toKey ? paths.key(key.accountId, key.id) : paths.environment(key.accountId, key.environment), 303);
  };

  const app = new Hono<ConsoleEnv>();
  // One static route per action (hono's RegExpRouter refuses a regex parameter beside static siblings).
  for (const action of ['regenerate', 'delete', 'revoke-sessions'] as const satisfies readonly ConfirmedAction[]) {
    app.get(`/accounts/:accountId/keys/:keyId/${action}`, async (c) => {
      const { account, key } = await openKey(c, services, 'manage');
      return confirmationPage(c, services, account, key, action);
    });
  }
  for (const status of ['disable', 'enable'] as const) {
    app.post(`/accounts/:accountId/keys/:keyId/${status}`, async (c) => {
      const { account, key } = await openKey(c, services, 'manage');
      const disable = status === 'disable';
      const changed = await management.setKeyStatus(c.get('actor'), account.id, key.id, disable ? 'disabled' : 'active');
      if (!changed.ok) throw noSuchKey();
      const toKey = formText(await readForm(c), 'back') === 'key';
      return backTo(c, key, disable ? 'disabled' : 'enabled', { toKey });
    });
  }
  return app
    .post('/accounts/:accountId/keys/:keyId/regenerate', async (c) => {
      const { account, key } = await openKey(c, services, 'manage');
      const overlap = formText(await readForm(c), 'overlap');
      const chosen = OVERLAP_CHOICES.find((choice) => String(choice.seconds) === overlap);
      const regenerated = await management.regenerateKey(c.get('actor'), account.id, key.id, { overlapSeconds: chosen?.seconds ?? 0 });
      if (!regenerated.ok) {
        throw regenerated.reason === 'not_found' ? noSuchKey() : new ConsoleError(400, 'Bad request', regenerated.detail ?? 'No overlap for this key.');
      }
      const secretPath = paths.keySecret(account.id, key.id);
      // A private_key_jwt key gets a new application ID and no secret: nothing to show once.
      if (regenerated.value.applicationSecret === undefined) return backTo(c, key, 'application-id-regenerated', { toKey: true });
      flashSecret(c, secretPath, 'regenerated', regenerated.value.applicationSecret);
      return c.redirect(secretPath, 303);
    })
    .post('/accounts/:accountId/keys/:keyId/delete', async (c) => {
      const { account, key } = await openKey(c, services, 'manage');
      const form = await readForm(c);
      if (needsTypedName(key, 'delete')) {
        const typed = formText(form, 'confirmName').trim();
        if (typed !== key.name) {
          const error = typed === '' ? 'Type the key’s name to delete it.' : 'That is not this key’s name. Type it exactly as shown.';
          return confirmationPage(c, services, account, key, 'delete', { typed, error }, 400);
        }
      }
      const revokeSessions = formText(form, 'revokeSessions') === 'on';
      if (!(await management.deleteKey(c.get('actor'), account.id, key.id, { revokeSessions })).ok) throw noSuchKey();
      return backTo(c, key, revokeSessions ? 'deleted-and-revoked' : 'deleted');
    })
    .post('/accounts/:accountId/keys/:keyId/retire-previous', async (c) => {
      const { account, key } = await openKey(c, services, 'manage');
      if (!(await management.retirePreviousPair(c.get('actor'), account.id, key.id)).ok) throw noSuchKey();
      return backTo(c, key, 'previous-retired', { toKey: true });
    })
    .post('/accounts/:accountId/keys/:keyId/revoke-sessions', async (c) => {
      const { account, key } = await openKey(c, services, 'manage');
      const revoked = await management.revokeKeySessions(c.get('actor'), account.id, key.id);
      if (!revoked.ok) throw noSuchKey();
      return backTo(c, key, 'sessions-revoked', { count: revoked.value.revoked });
    });
}
