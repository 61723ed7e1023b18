/** @jsxImportSource hono/jsx */
// An environment's keys: the list, how many of the limit are used, and the create form.
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod';
import { ENVIRONMENTS, type Environment } from '../../shared/domain.js';
import type { KeyFailure } from '../../core/key-management.js';
import { createKeyScopesSchema, createNameSchema, KEY_SCOPES_MAX, NAME_MAX_LENGTH } from '../../core/key-rules.js';
import { assertNever, type Fail } from '../../shared/result.js';
import type { KeyRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import {
  chromeOf,
  ConsoleError,
  formText,
  openAccount,
  readForm,
  renderPage,
  type ConsoleEnv,
  type FormBody,
  type OpenAccount,
} from './context.js';
import { CONSOLE_UNSAFE_NAME, CsrfField, ENVIRONMENT_LABELS, Layout, Message, PostButton, TextField, Time } from './layout.js';
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

const NOTICES = {
  disabled: 'Key disabled: it can no longer mint session tokens. Sessions minted before stay valid until they expire.',
  enabled: 'Key enabled: it can mint session tokens again.',
  deleted: 'Key deleted: its application ID and secret can no longer mint session tokens. Sessions minted before stay valid until they expire.',
  'deleted-and-revoked': 'Key deleted and its live sessions revoked: neither its application ID and secret nor its session tokens work any more.',
  'sessions-revoked': 'Sessions revoked.',
} as const;

export type KeyNotice = keyof typeof NOTICES;

function noticeText(notice: string | undefined, count: string | undefined): string | undefined {
  if (notice === undefined || !Object.hasOwn(NOTICES, notice)) return undefined;
  if (notice === 'sessions-revoked' && count !== undefined && /^\d{1,9}$/.test(count)) {
    return `Sessions revoked: ${count} live session${count === '1' ? '' : 's'} of the key can no longer be used.`;
  }
  return NOTICES[notice as KeyNotice];
}

type CreateField = 'name' | 'scopes' | 'expiresAt';

interface CreateFormState {
  values: { name: string; scopes: string[]; expiresAt: string };
  errors: Partial<Record<CreateField | 'form', string>>;
}

const DATETIME_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

const createKeyForm = z.object({
  environment: z.enum(ENVIRONMENTS),
  name: createNameSchema({
    empty: 'Give the key a name.',
    tooLong: `Keep the name to ${NAME_MAX_LENGTH} characters.`,
    unsafe: () => CONSOLE_UNSAFE_NAME,
  }),
  scopes: createKeyScopesSchema({
    invalidScope: (scope) => `"${scope.slice(0, 40)}" is not a valid scope (no spaces, quotes or backslashes).`,
    tooMany: `A key holds at most ${KEY_SCOPES_MAX} scopes.`,
  }),
  expiresAt: z
    .string()
    .trim()
    .refine((value) => value === '' || (DATETIME_LOCAL.test(value) && !Number.isNaN(Date.parse(`${value}Z`))), {
      error: 'Use a date and time like 2030-12-31T23:59 (UTC).',
    })
    .transform((value) => (value === '' ? null : Date.parse(`${value}Z`))),
});

/** The scopes field arrives as checkboxes (KEYMINT_SCOPES set) or one space-separated text box. */
function scopesOf(form: FormBody): string[] {
  const raw = [form.scopes ?? []].flat().filter((value): value is string => typeof value === 'string');
  return [...new Set(raw.flatMap((value) => value.split(/\s+/)).filter(Boolean))];
}

function createFailure(failure: Fail<KeyFailure>): { field: CreateField | 'form'; message: string; status: ContentfulStatusCode } {
  switch (failure.reason) {
    case 'not_found':
      throw new ConsoleError(404, 'No such account', 'The account no longer exists.');
    case 'limit_exceeded':
      return { field: 'form', message: failure.detail ?? 'This environment is at its key limit.', status: 409 };
    case 'name_taken':
      return { field: 'name', message: 'Another key in this environment has this name; pick another.', status: 409 };
    case 'scope_not_allowed':
      return { field: 'scopes', message: failure.detail ?? 'That scope is not allowed.', status: 400 };
    case 'expiry_in_past':
      return { field: 'expiresAt', message: 'Pick a time in the future.', status: 400 };
    // The console's form creates secret keys only (the JWK paste is the console's own work, issue 16).
    case 'invalid_jwks':
      return { field: 'form', message: failure.detail ?? 'Those JWKs cannot be used.', status: 400 };
    default:
      return assertNever(failure.reason);
  }
}

/** Checkboxes when KEYMINT_SCOPES lists the allowed scopes; otherwise one space-separated text box. */
function ScopesField({ allowed, chosen, error }: { allowed: string[] | undefined; chosen: string[]; error: string | undefined }) {
  if (!allowed) {
    return (
      <TextField
        name="scopes"
        label="Scopes"
        hint="(space-separated; optional)"
        placeholder="e.g. orders:read orders:write"
        value={chosen.join(' ')}
        error={error}
      />
    );
  }
  return (
    <fieldset class="checks">
      <legend>
        Scopes <span class="hint">(tick the ones this key may request)</span>
      </legend>
      {allowed.map((scope) => (
        <label>
          <input type="checkbox" name="scopes" value={scope} checked={chosen.includes(scope)} /> <code>{scope}</code>
        </label>
      ))}
      {error && <p class="field-error">{error}</p>}
    </fieldset>
  );
}

function CreateKeyForm(props: {
  accountId: string;
  environment: Environment;
  csrf: string;
  allowedScopes: string[] | undefined;
  state: CreateFormState | undefined;
}) {
  const { values, errors } = props.state ?? { values: { name: '', scopes: [], expiresAt: '' }, errors: {} };
  return (
    <form method="post" action={paths.keys(props.accountId)} class="create-key">
      <CsrfField csrf={props.csrf} />
      <input type="hidden" name="environment" value={props.environment} />
      <Message kind="error" text={errors.form} />
      <TextField name="name" label="Name" maxlength={NAME_MAX_LENGTH} value={values.name} error={errors.name} required />
      <ScopesField allowed={props.allowedScopes} chosen={values.scopes} error={errors.scopes} />
      <TextField
        type="datetime-local"
        name="expiresAt"
        label="Expires"
        hint="(UTC; optional, leave empty for a key that does not expire)"
        value={values.expiresAt}
        error={errors.expiresAt}
      />
      <div class="form-row">
        <button type="submit" class="primary">
          Create key
        </button>
      </div>
    </form>
  );
}

function StatusBadge({ keyRecord, now }: { keyRecord: KeyRecord; now: number }) {
  if (keyRecord.expiresAt !== null && keyRecord.expiresAt <= now) return <span class="badge expired">expired</span>;
  return <span class={`badge ${keyRecord.status}`}>{keyRecord.status}</span>;
}

function KeyRow({ keyRecord, now, canManage, csrf }: { keyRecord: KeyRecord; now: number; canManage: boolean; csrf: string }) {
  const { accountId, id } = keyRecord;
  return (
    <tr data-key-id={id}>
      <td>
        <strong>{keyRecord.name}</strong>
        <span class="sub mono">{id}</span>
      </td>
      <td>
        <code class="application-id">{keyRecord.applicationId}</code>
        <span class="sub">
          secret <code class="secret-hint">…{keyRecord.secretHint}</code>
        </span>
      </td>
      <td>
        {keyRecord.scopes.length === 0 ? (
          <span class="sub">none</span>
        ) : (
          keyRecord.scopes.map((scope) => <code class="scope">{scope}</code>)
        )}
      </td>
      <td>
        <StatusBadge keyRecord={keyRecord} now={now} />
        {keyRecord.expiresAt !== null && (
          <span class="sub">
            expires <Time at={keyRecord.expiresAt} />
          </span>
        )}
      </td>
      <td>
        <Time at={keyRecord.createdAt} />
        <span class="sub">
          {keyRecord.lastUsedAt === null ? (
            'never used'
          ) : (
            <>
              last used <Time at={keyRecord.lastUsedAt} />
            </>
          )}
        </span>
      </td>
      {canManage && (
        <td>
          <div class="actions">
            {keyRecord.status === 'active' ? (
              <PostButton action={paths.keyAction(accountId, id, 'disable')} csrf={csrf}>
                Disable
              </PostButton>
            ) : (
              <PostButton action={paths.keyAction(accountId, id, 'enable')} csrf={csrf}>
                Enable
              </PostButton>
            )}
            <a class="button" href={paths.keyAction(accountId, id, 'regenerate')}>
              Regenerate
            </a>
            <a class="button" href={paths.keyAction(accountId, id, 'revoke-sessions')}>
              Revoke sessions
            </a>
            <a class="button danger-outline" href={paths.keyAction(accountId, id, 'delete')}>
              Delete
            </a>
          </div>
        </td>
      )}
    </tr>
  );
}

async function environmentPage(
  c: Context<ConsoleEnv>,
  services: Services,
  opened: OpenAccount,
  environment: Environment,
  view: { notice?: string; form?: CreateFormState },
  status: ContentfulStatusCode = 200,
) {
  const { account, canManage } = opened;
  const keys = await listAllKeys(services, account.id, environment);
  const limit = services.config.keysPerEnvironment;
  const atLimit = keys.length >= limit;
  const label = ENVIRONMENT_LABELS[environment];
  const csrf = c.get('csrf');
  const now = services.clock.now();
  return renderPage(
    c,
    <Layout title={`${label} keys`} chrome={chromeOf(c, { account, section: environment })}>
      <h1>{label} keys</h1>
      <p class="lead">
        Token endpoint: <code>{`${services.config.publicUrl}/${environment}/oauth/token`}</code>
      </p>
      <Message kind="notice" text={view.notice} />
      {!canManage && (
        <div class="readonly" role="note">
          You are signed in with a viewer token: you can see keys and the audit log, but not change them.
        </div>
      )}
      <div class="usage">
        <strong class="key-count">
          {keys.length} of {limit} keys
        </strong>
        <meter min={0} max={limit} value={keys.length} low={limit - 0.5} high={limit - 0.5} optimum={0}>
          {keys.length} of {limit}
        </meter>
        <span class="sub">the limit per environment</span>
      </div>
      <section class="panel table-panel">
        {keys.length === 0 ? (
          <p class="empty">No keys in {label.toLowerCase()} yet.</p>
        ) : (
          <table class="keys">
            <thead>
              <tr>
                <th>Name</th>
                <th>Application ID · secret</th>
                <th>Scopes</th>
                <th>Status</th>
                <th>Created · last used</th>
                {canManage && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {keys.map((keyRecord) => (
                <KeyRow keyRecord={keyRecord} now={now} canManage={canManage} csrf={csrf} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      {canManage && (
        <section class="panel narrow">
          <h2>Create a {label.toLowerCase()} key</h2>
          {atLimit ? (
            <div class="warning limit-note" role="note">
              This environment has {limit} of {limit} keys, the limit. Delete a key to create another.
              {view.form?.errors.form && ` (${view.form.errors.form})`}
            </div>
          ) : (
            <CreateKeyForm
              accountId={account.id}
              environment={environment}
              csrf={csrf}
              allowedScopes={services.config.scopes}
              state={view.form}
            />
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
      return environmentPage(c, services, opened, environment, {
        notice: noticeText(c.req.query('notice'), c.req.query('count')),
      });
    });
  }
  return app
    .post('/accounts/:accountId/keys', async (c) => {
      const opened = await openAccount(c, services, 'manage');
      const form = await readForm(c);
      const values = { name: formText(form, 'name'), scopes: scopesOf(form), expiresAt: formText(form, 'expiresAt') };
      const environment = formText(form, 'environment');
      if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
        throw new ConsoleError(400, 'Bad request', 'Choose sandbox or production for the new key.');
      }
      const rerender = (errors: CreateFormState['errors'], status: ContentfulStatusCode) =>
        environmentPage(c, services, opened, environment as Environment, { form: { values, errors } }, status);

      const parsed = createKeyForm.safeParse({ ...values, environment });
      if (!parsed.success) {
        const errors: CreateFormState['errors'] = {};
        for (const issue of parsed.error.issues) {
          const field = issue.path[0] as CreateField;
          errors[field] ??= issue.message;
        }
        return rerender(errors, 400);
      }
      const created = await services.management.createKey(c.get('actor'), opened.account.id, parsed.data);
      if (!created.ok) {
        const { field, message, status } = createFailure(created);
        return rerender({ [field]: message }, status);
      }
      const { key, applicationSecret } = created.value;
      const secretPage = paths.keySecret(key.accountId, key.id);
      flashSecret(c, secretPage, 'created', applicationSecret!);
      return c.redirect(secretPage, 303);
    });
}
