/** @jsxImportSource hono/jsx */
// The key forms: create (in an environment's page) and edit (a page of its own), with the same fields — name, how the
// key authenticates (a secret, or public keys pasted for private_key_jwt), scopes, an expiry chosen from presets, never
// (with a warning) or a date in the viewer's time zone, and optional limits.
import { NAME_MAX_LENGTH } from '../../core/key-rules.js';
import type { Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { MAX_CLIENT_KEYS } from '../../core/client-jwks.js';
import { LIMIT_BOUNDS } from '../../ports/key-limiter.js';
import {
  DEFAULT_CREATE_EXPIRY,
  EXPIRY_PRESET_DAYS,
  firstErrorField,
  formTimeZone,
  limitValuesOf,
  NO_LIMITS,
  type KeyField,
  type KeyFormErrors,
  type KeyFormMode,
  type KeyFormState,
  type KeyFormValues,
  type LimitField,
} from './key-form-rules.js';
import { CsrfField, errorId, FieldError, Message, TextField, Time } from './layout.js';
import { paths } from './paths.js';
import { wallClockOf } from './time-zones.js';

/** Checkboxes when KEYMINT_SCOPES lists the allowed scopes; otherwise one space-separated text box. */
function ScopesField(props: { allowed: string[] | undefined; chosen: string[]; error: string | undefined; focus: boolean }) {
  const { allowed, chosen, error, focus } = props;
  if (!allowed) {
    return (
      <TextField
        name="scopes"
        label="Scopes"
        hint="(space-separated; optional)"
        placeholder="e.g. orders:read orders:write"
        value={chosen.join(' ')}
        error={error}
        focus={focus}
      />
    );
  }
  // A scope the key holds that KEYMINT_SCOPES no longer lists stays visible (ticked), so saving says so.
  const offered = [...allowed, ...chosen.filter((scope) => !allowed.includes(scope))];
  return (
    <fieldset class="checks" id="scopes" aria-describedby={error ? errorId('scopes') : undefined}>
      <legend>
        Scopes <span class="hint">(tick the ones this key may request)</span>
      </legend>
      {offered.map((scope, index) => (
        <label>
          <input type="checkbox" name="scopes" value={scope} checked={chosen.includes(scope)} autofocus={focus && index === 0} />{' '}
          <code>{scope}</code>
        </label>
      ))}
      <FieldError field="scopes" error={error} />
    </fieldset>
  );
}

function ExpiryOption(props: { value: string; checked: boolean; children: unknown }) {
  return (
    <label class="choice" for={`expiry-${props.value}`}>
      <input type="radio" name="expiry" id={`expiry-${props.value}`} value={props.value} checked={props.checked} /> <span>{props.children}</span>
    </label>
  );
}

function ExpiryField(props: { mode: KeyFormMode; values: KeyFormValues; current: KeyRecord | undefined; error: string | undefined; focus: boolean }) {
  const { mode, values, current, error } = props;
  const zone = formTimeZone(values);
  const convertFromUtc = values.timeZone === '' && values.expiresAt !== '';
  return (
    <fieldset class="expiry" aria-describedby={error ? errorId('expiresAt') : undefined}>
      <legend>Expires</legend>
      {mode === 'edit' && (
        <ExpiryOption value="keep" checked={values.expiry === 'keep'}>
          Keep:{' '}
          {current?.expiresAt != null ? (
            <>
              expires <Time at={current.expiresAt} />
            </>
          ) : (
            'never expires'
          )}
        </ExpiryOption>
      )}
      {EXPIRY_PRESET_DAYS.map((days) => (
        <ExpiryOption value={String(days)} checked={values.expiry === String(days)}>
          In {days} days
        </ExpiryOption>
      ))}
      <ExpiryOption value="never" checked={values.expiry === 'never'}>
        Never
      </ExpiryOption>
      <p class="never-warning" id="never-warning">
        Not recommended: a key that never expires keeps working for whoever holds its secret, until someone disables,
        regenerates or deletes it.
      </p>
      <ExpiryOption value="custom" checked={values.expiry === 'custom'}>
        On a date:
      </ExpiryOption>
      <div class="date-row">
        <label for="expiresAt" class="vh">
          Expiry date and time
        </label>
        <input
          type="datetime-local"
          id="expiresAt"
          name="expiresAt"
          value={values.expiresAt}
          autofocus={props.focus}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? `${errorId('expiresAt')} time-zone-note` : 'time-zone-note'}
          data-utc-value={convertFromUtc ? values.expiresAt : undefined}
        />
        <span class="hint" id="time-zone-note">
          in <span data-time-zone-label>{zone === 'UTC' ? 'UTC' : `your time zone (${zone})`}</span>
        </span>
        <input type="hidden" name="timeZone" value={values.timeZone} />
      </div>
      <FieldError field="expiresAt" error={error} />
    </fieldset>
  );
}

/** A labelled control's error wiring: marked invalid, and described by its message. */
function invalidIf(field: KeyField, errors: KeyFormErrors) {
  return errors[field] ? { 'aria-invalid': 'true', 'aria-describedby': errorId(field) } : {};
}

/** A whole-number box of a limit, with its label and its error. */
function LimitNumber(props: { field: LimitField; label: string; values: KeyFormValues; errors: KeyFormErrors; focus: KeyField | undefined }) {
  const { field, values, errors } = props;
  return (
    <div class="limit-input">
      <label for={field}>{props.label}</label>
      <input
        type="text"
        inputmode="numeric"
        id={field}
        name={field}
        value={values.limits[field]}
        size={10}
        autocomplete="off"
        autofocus={props.focus === field}
        {...invalidIf(field, errors)}
      />
      <FieldError field={field} error={errors[field]} />
    </div>
  );
}

const limitRange = (bounds: { min: number; max: number }) => `${bounds.min}–${bounds.max.toLocaleString('en')}`;

/** The three limits of SPEC §7, each optional: empty boxes mean none (and, editing, remove the key's). */
function LimitsField(props: { values: KeyFormValues; errors: KeyFormErrors; focus: KeyField | undefined }) {
  const shared = { values: props.values, errors: props.errors, focus: props.focus };
  const period = props.values.limits.quotaPeriod;
  return (
    <fieldset class="limits">
      <legend>
        Limits <span class="hint">(optional: leave a limit’s boxes empty for none)</span>
      </legend>
      <fieldset class="limit">
        <legend>Rate limit on proxied calls</legend>
        <LimitNumber field="rateLimitRequests" label={`Requests (${limitRange(LIMIT_BOUNDS.rateRequests)})`} {...shared} />
        <LimitNumber field="rateLimitWindow" label={`Per seconds (${limitRange(LIMIT_BOUNDS.windowSeconds)})`} {...shared} />
      </fieldset>
      <fieldset class="limit">
        <legend>Quota on proxied calls</legend>
        <LimitNumber field="quotaRequests" label={`Requests (${limitRange(LIMIT_BOUNDS.quotaRequests)})`} {...shared} />
        <div class="limit-input">
          <label for="quotaPeriod">Per UTC</label>
          <select id="quotaPeriod" name="quotaPeriod" autofocus={props.focus === 'quotaPeriod'} {...invalidIf('quotaPeriod', props.errors)}>
            <option value="day" selected={period === 'day'}>
              day
            </option>
            <option value="month" selected={period === 'month'}>
              month
            </option>
          </select>
          <FieldError field="quotaPeriod" error={props.errors.quotaPeriod} />
        </div>
      </fieldset>
      <fieldset class="limit">
        <legend>Rate limit on session tokens minted</legend>
        <LimitNumber field="tokenRateLimitRequests" label={`Tokens (${limitRange(LIMIT_BOUNDS.rateRequests)})`} {...shared} />
        <LimitNumber field="tokenRateLimitWindow" label={`Per seconds (${limitRange(LIMIT_BOUNDS.windowSeconds)})`} {...shared} />
      </fieldset>
    </fieldset>
  );
}

/** The public keys of a private_key_jwt key: pasted as a JWK or a JWK Set. */
function JwksField(props: { mode: KeyFormMode; values: KeyFormValues; errors: KeyFormErrors; focus: boolean }) {
  const { errors } = props;
  return (
    <div class="jwks-field">
      <label for="jwks">
        {props.mode === 'edit' ? 'Public keys' : 'The client’s public keys'}{' '}
        <span class="hint">
          (a JWK or a JWK Set of up to {MAX_CLIENT_KEYS}: EC P-256, Ed25519 or RSA of 2048 bits or more; never the private key
          {props.mode === 'edit' ? '; saving replaces the key’s public keys' : ''})
        </span>
      </label>
      <textarea
        id="jwks"
        name="jwks"
        rows={8}
        spellcheck={false}
        autocomplete="off"
        placeholder='{"kty": "EC", "crv": "P-256", "x": "…", "y": "…", "kid": "…"}'
        autofocus={props.focus}
        {...invalidIf('jwks', errors)}
      >
        {props.values.jwks}
      </textarea>
      <FieldError field="jwks" error={errors.jwks} />
    </div>
  );
}

/** Creating: a secret keymint makes, or public keys the client signs assertions for (the paste shows with that choice). */
function AuthMethodField(props: { values: KeyFormValues; errors: KeyFormErrors; focus: boolean }) {
  const chosen = props.values.authMethod;
  return (
    <fieldset class="auth-method">
      <legend>Authentication</legend>
      <label class="choice" for="auth-client_secret">
        <input type="radio" name="authMethod" id="auth-client_secret" value="client_secret" checked={chosen === 'client_secret'} />{' '}
        <span>Client secret: keymint makes an application secret, shown once</span>
      </label>
      <label class="choice" for="auth-private_key_jwt">
        <input type="radio" name="authMethod" id="auth-private_key_jwt" value="private_key_jwt" checked={chosen === 'private_key_jwt'} />{' '}
        <span>Private key JWT: the client signs assertions with its own key pair; no secret (RFC 7523)</span>
      </label>
      <JwksField mode="create" values={props.values} errors={props.errors} focus={props.focus} />
    </fieldset>
  );
}

function KeyFields(props: {
  mode: KeyFormMode;
  allowedScopes: string[] | undefined;
  values: KeyFormValues;
  errors: KeyFormErrors;
  current?: KeyRecord;
}) {
  const { values, errors } = props;
  const focus = firstErrorField(errors);
  return (
    <>
      <Message kind="error" text={errors.form} />
      <TextField name="name" label="Name" maxlength={NAME_MAX_LENGTH} value={values.name} error={errors.name} focus={focus === 'name'} required />
      {props.mode === 'create' ? (
        <AuthMethodField values={values} errors={errors} focus={focus === 'jwks'} />
      ) : (
        values.authMethod === 'private_key_jwt' && <JwksField mode="edit" values={values} errors={errors} focus={focus === 'jwks'} />
      )}
      <ScopesField allowed={props.allowedScopes} chosen={values.scopes} error={errors.scopes} focus={focus === 'scopes'} />
      <ExpiryField mode={props.mode} values={values} current={props.current} error={errors.expiresAt} focus={focus === 'expiresAt'} />
      <LimitsField values={values} errors={errors} focus={focus} />
    </>
  );
}

export function CreateKeyForm(props: {
  accountId: string;
  environment: Environment;
  csrf: string;
  allowedScopes: string[] | undefined;
  state: KeyFormState | undefined;
}) {
  const { values, errors } = props.state ?? {
    values: {
      name: '',
      scopes: [],
      expiry: DEFAULT_CREATE_EXPIRY,
      expiresAt: '',
      timeZone: '',
      authMethod: 'client_secret',
      jwks: '',
      limits: NO_LIMITS,
      limitsPosted: true,
    },
    errors: {},
  };
  return (
    <form method="post" action={paths.keys(props.accountId)} class="create-key" novalidate>
      <CsrfField csrf={props.csrf} />
      <input type="hidden" name="environment" value={props.environment} />
      <KeyFields mode="create" allowedScopes={props.allowedScopes} values={values} errors={errors} />
      <div class="form-row">
        <button type="submit" class="primary">
          Create key
        </button>
      </div>
    </form>
  );
}

/**
 * The edit form's starting values: the key as it is, its expiry kept (the date field shows it, in UTC until the script
 * converts it), its public keys as the JWK Set it holds, its limits in their boxes.
 */
export function editFormValues(key: KeyRecord): KeyFormValues {
  return {
    name: key.name,
    scopes: key.scopes,
    expiry: 'keep',
    expiresAt: key.expiresAt === null ? '' : wallClockOf(key.expiresAt, 'UTC'),
    timeZone: '',
    authMethod: key.authMethod,
    jwks: key.jwks === null ? '' : JSON.stringify(key.jwks, null, 2),
    limits: limitValuesOf(key),
    limitsPosted: true,
  };
}

export function EditKeyForm(props: { keyRecord: KeyRecord; csrf: string; allowedScopes: string[] | undefined; state: KeyFormState }) {
  const { keyRecord: key, state } = props;
  return (
    <form method="post" action={paths.keyAction(key.accountId, key.id, 'edit')} class="edit-key" novalidate>
      <CsrfField csrf={props.csrf} />
      <KeyFields mode="edit" allowedScopes={props.allowedScopes} values={state.values} errors={state.errors} current={key} />
      <div class="form-row">
        <button type="submit" class="primary">
          Save changes
        </button>
        <a class="button" href={paths.key(key.accountId, key.id)}>
          Cancel
        </a>
      </div>
    </form>
  );
}
