/** @jsxImportSource hono/jsx */
// The key forms: create (in an environment's page) and edit (a page of its own), with the same fields — name,
// scopes, and an expiry chosen from presets, never (with a warning) or a date in the viewer's time zone.
import { NAME_MAX_LENGTH } from '../../core/key-rules.js';
import type { Environment } from '../../shared/domain.js';
import type { KeyRecord } from '../../ports/key-store.js';
import {
  DEFAULT_CREATE_EXPIRY,
  EXPIRY_PRESET_DAYS,
  firstErrorField,
  formTimeZone,
  type KeyFormErrors,
  type KeyFormMode,
  type KeyFormState,
  type KeyFormValues,
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
      <ScopesField allowed={props.allowedScopes} chosen={values.scopes} error={errors.scopes} focus={focus === 'scopes'} />
      <ExpiryField mode={props.mode} values={values} current={props.current} error={errors.expiresAt} focus={focus === 'expiresAt'} />
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
    values: { name: '', scopes: [], expiry: DEFAULT_CREATE_EXPIRY, expiresAt: '', timeZone: '' },
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

/** The edit form's starting values: the key as it is, its expiry kept (the date field shows it, in UTC until the script converts it). */
export function editFormValues(key: KeyRecord): KeyFormValues {
  return {
    name: key.name,
    scopes: key.scopes,
    expiry: 'keep',
    expiresAt: key.expiresAt === null ? '' : wallClockOf(key.expiresAt, 'UTC'),
    timeZone: '',
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
