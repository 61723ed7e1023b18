// What the key forms (create and edit) accept, in the console's words: the fields read from a form body, checked
// with core's rules (core/key-rules.ts), and key management's refusals put beside the field they concern.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { KeyFailure } from '../../core/key-management.js';
import { createKeyScopesSchema, createNameSchema, KEY_SCOPES_MAX, NAME_MAX_LENGTH } from '../../core/key-rules.js';
import { assertNever, type Fail } from '../../shared/result.js';
import { ConsoleError, formText, noSuchKey, type FormBody } from './context.js';
import { CONSOLE_UNSAFE_NAME } from './layout.js';
import { instantOfWallClock, isTimeZone } from './time-zones.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The expiry choices, in the order the form lists them; `keep` only when editing. */
export const EXPIRY_PRESET_DAYS = [7, 30, 90] as const;
export const EXPIRY_CHOICES = ['keep', '7', '30', '90', 'never', 'custom'] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number];
/** What a new key's form starts with: an expiry, as GitHub's token form does, rather than a key that never ends. */
export const DEFAULT_CREATE_EXPIRY: ExpiryChoice = '90';

/** The form's fields, by the id of the control an error is shown beside (and focused). */
export type KeyField = 'name' | 'scopes' | 'expiresAt';
export type KeyFormErrors = Partial<Record<KeyField | 'form', string>>;

/** The form as the user filled it in: shown again, unchanged, beside its errors. */
export interface KeyFormValues {
  name: string;
  scopes: string[];
  expiry: ExpiryChoice;
  /** The custom date, `YYYY-MM-DDTHH:MM` as typed (in `timeZone`, or UTC without one). */
  expiresAt: string;
  /** The viewer's IANA zone, which the console script puts in the form; '' when it did not run. */
  timeZone: string;
}

export interface KeyFormState {
  values: KeyFormValues;
  errors: KeyFormErrors;
}

export type KeyFormMode = 'create' | 'edit';

const DATETIME_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

const nameSchema = createNameSchema({
  empty: 'Give the key a name.',
  tooLong: `Keep the name to ${NAME_MAX_LENGTH} characters.`,
  unsafe: () => CONSOLE_UNSAFE_NAME,
});

const scopesSchema = createKeyScopesSchema({
  invalidScope: (scope) => `"${scope.slice(0, 40)}" is not a valid scope (no spaces, quotes or backslashes).`,
  tooMany: `A key holds at most ${KEY_SCOPES_MAX} scopes.`,
});

/** The scopes field arrives as checkboxes (KEYMINT_SCOPES set) or one space-separated text box. */
function scopesOf(form: FormBody): string[] {
  const raw = [form.scopes ?? []].flat().filter((value): value is string => typeof value === 'string');
  return [...new Set(raw.flatMap((value) => value.split(/\s+/)).filter(Boolean))];
}

function expiryChoiceOf(form: FormBody, mode: KeyFormMode): ExpiryChoice {
  const chosen = formText(form, 'expiry');
  if ((EXPIRY_CHOICES as readonly string[]).includes(chosen) && (chosen !== 'keep' || mode === 'edit')) return chosen as ExpiryChoice;
  // A form without the choice (an older page, a script): a date means that date, none means no change or no expiry.
  if (chosen === '') return formText(form, 'expiresAt').trim() !== '' ? 'custom' : mode === 'edit' ? 'keep' : 'never';
  throw new ConsoleError(400, 'Bad request', 'Choose one of the offered expiry options.');
}

export function readKeyFormValues(form: FormBody, mode: KeyFormMode): KeyFormValues {
  return {
    name: formText(form, 'name'),
    scopes: scopesOf(form),
    expiry: expiryChoiceOf(form, mode),
    expiresAt: formText(form, 'expiresAt').trim(),
    timeZone: formText(form, 'timeZone').trim(),
  };
}

/** The zone a custom date is read in: the viewer's, when the script named a real one; otherwise UTC. */
export function formTimeZone(values: Pick<KeyFormValues, 'timeZone'>): string {
  return isTimeZone(values.timeZone) ? values.timeZone : 'UTC';
}

type ExpiryReading = { ok: true; expiresAt: number | null | undefined } | { ok: false; message: string };

/** The instant the expiry choice names: undefined to keep the key's, null for never. */
function readExpiry(values: KeyFormValues, now: number): ExpiryReading {
  switch (values.expiry) {
    case 'keep':
      return { ok: true, expiresAt: undefined };
    case 'never':
      return { ok: true, expiresAt: null };
    case '7':
    case '30':
    case '90':
      return { ok: true, expiresAt: now + Number(values.expiry) * DAY_MS };
    case 'custom': {
      if (values.expiresAt === '') return { ok: false, message: 'Pick a date and time, or choose another option.' };
      const wall = DATETIME_LOCAL.test(values.expiresAt) ? Date.parse(`${values.expiresAt}Z`) : Number.NaN;
      if (Number.isNaN(wall)) return { ok: false, message: 'Use a date and time like 2030-12-31T23:59.' };
      return { ok: true, expiresAt: instantOfWallClock(wall, formTimeZone(values)) };
    }
    default:
      return assertNever(values.expiry);
  }
}

/** What the form asks for; `expiresAt` undefined keeps the key's expiry (edit only), null means never. */
export interface KeyFormInput {
  name: string;
  scopes: string[];
  expiresAt: number | null | undefined;
}

export type ParsedKeyForm = { ok: true; input: KeyFormInput } | { ok: false; errors: KeyFormErrors };

/** The form's values checked as the admin API checks a body; the errors, in the form's words, by field. */
export function parseKeyForm(values: KeyFormValues, now: number): ParsedKeyForm {
  const errors: KeyFormErrors = {};
  const name = nameSchema.safeParse(values.name);
  if (!name.success) errors.name = name.error.issues[0]!.message;
  const scopes = scopesSchema.safeParse(values.scopes);
  if (!scopes.success) errors.scopes = scopes.error.issues[0]!.message;
  const expiry = readExpiry(values, now);
  if (!expiry.ok) errors.expiresAt = expiry.message;
  if (!name.success || !scopes.success || !expiry.ok) return { ok: false, errors };
  return { ok: true, input: { name: name.data, scopes: scopes.data, expiresAt: expiry.expiresAt } };
}

/** A refusal of key management, as the form shows it: beside a field, or above the form. */
export function keyFormFailure(failure: Fail<KeyFailure>): { errors: KeyFormErrors; status: ContentfulStatusCode } {
  switch (failure.reason) {
    case 'not_found':
      throw noSuchKey();
    case 'limit_exceeded':
      return { errors: { form: failure.detail ?? 'This environment is at its key limit.' }, status: 409 };
    case 'name_taken':
      return { errors: { name: 'Another key in this environment has this name; pick another.' }, status: 409 };
    case 'scope_not_allowed':
      return { errors: { scopes: failure.detail ?? 'That scope is not allowed.' }, status: 400 };
    case 'expiry_in_past':
      return { errors: { expiresAt: 'Pick a time in the future.' }, status: 400 };
    default:
      return assertNever(failure.reason);
  }
}

/** The first field with an error, in the form's order: where focus goes when the page comes back. */
export function firstErrorField(errors: KeyFormErrors): KeyField | undefined {
  return (['name', 'scopes', 'expiresAt'] as const).find((field) => errors[field] !== undefined);
}
