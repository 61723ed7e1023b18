// What the key forms (create and edit) accept, in the console's words: the fields read from a form body, checked
// with core's rules (core/key-rules.ts, core/client-jwks.ts) and the admin API's limit schemas, and key management's
// refusals put beside the field they concern.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type * as z from 'zod';
import { holdsPrivateKey, MAX_CLIENT_KEYS, readClientJwks, type ClientJwks } from '../../core/client-jwks.js';
import type { KeyFailure, KeyLimitSettings } from '../../core/key-management.js';
import { createKeyScopesSchema, createNameSchema, KEY_SCOPES_MAX, NAME_MAX_LENGTH } from '../../core/key-rules.js';
import { LIMIT_BOUNDS } from '../../ports/key-limiter.js';
import type { KeyAuthMethod, KeyRecord } from '../../ports/key-store.js';
import { assertNever, type Fail } from '../../shared/result.js';
import { quotaSchema, rateLimitSchema } from '../admin/limit-schemas.js';
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

/** The limit inputs, by the name (and control id) of each; empty inputs mean no limit. */
export const LIMIT_FIELDS = [
  'rateLimitRequests',
  'rateLimitWindow',
  'quotaRequests',
  'quotaPeriod',
  'tokenRateLimitRequests',
  'tokenRateLimitWindow',
] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];
export type LimitValues = Record<LimitField, string>;

/** The form's fields in the order it shows them, by the id of the control an error is shown beside (and focused). */
const KEY_FIELDS = ['name', 'jwks', 'scopes', 'expiresAt', ...LIMIT_FIELDS] as const;
export type KeyField = (typeof KEY_FIELDS)[number];
export type KeyFormErrors = Partial<Record<KeyField | 'form', string>>;

export const AUTH_METHODS = ['client_secret', 'private_key_jwt'] as const satisfies readonly KeyAuthMethod[];

/** The form as the user filled it in: shown again, unchanged, beside its errors. */
export interface KeyFormValues {
  name: string;
  scopes: string[];
  expiry: ExpiryChoice;
  /** The custom date, `YYYY-MM-DDTHH:MM` as typed (in `timeZone`, or UTC without one). */
  expiresAt: string;
  /** The viewer's IANA zone, which the console script puts in the form; '' when it did not run. */
  timeZone: string;
  /** Chosen on create; on edit, the key's own (it cannot change). */
  authMethod: KeyAuthMethod;
  /** The pasted JWK or JWK Set (private_key_jwt keys only). */
  jwks: string;
  limits: LimitValues;
  /** Whether the form had limit boxes at all: a form without them (an older page, a script) leaves limits alone. */
  limitsPosted: boolean;
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

function authMethodOf(form: FormBody): KeyAuthMethod {
  const chosen = formText(form, 'authMethod');
  if (chosen === '') return 'client_secret';
  if ((AUTH_METHODS as readonly string[]).includes(chosen)) return chosen as KeyAuthMethod;
  throw new ConsoleError(400, 'Bad request', 'Choose a client secret or a private key JWT.');
}

/** The form as posted; editing, `current` is the key being edited (its authentication method stays). */
export function readKeyFormValues(form: FormBody, mode: KeyFormMode, current?: KeyRecord): KeyFormValues {
  return {
    name: formText(form, 'name'),
    scopes: scopesOf(form),
    expiry: expiryChoiceOf(form, mode),
    expiresAt: formText(form, 'expiresAt').trim(),
    timeZone: formText(form, 'timeZone').trim(),
    authMethod: current?.authMethod ?? authMethodOf(form),
    jwks: formText(form, 'jwks').trim(),
    limits: Object.fromEntries(LIMIT_FIELDS.map((field) => [field, formText(form, field).trim()])) as LimitValues,
    limitsPosted: LIMIT_FIELDS.some((field) => form[field] !== undefined),
  };
}

/** The limit inputs showing a key's limits as they are (empty for none): the edit form's starting values. */
export function limitValuesOf(key: Pick<KeyRecord, 'rateLimit' | 'quota' | 'tokenRateLimit'>): LimitValues {
  const text = (value: number | undefined) => (value === undefined ? '' : String(value));
  return {
    rateLimitRequests: text(key.rateLimit?.requests),
    rateLimitWindow: text(key.rateLimit?.windowSeconds),
    quotaRequests: text(key.quota?.requests),
    quotaPeriod: key.quota?.period ?? 'day',
    tokenRateLimitRequests: text(key.tokenRateLimit?.requests),
    tokenRateLimitWindow: text(key.tokenRateLimit?.windowSeconds),
  };
}

export const NO_LIMITS: LimitValues = limitValuesOf({ rateLimit: null, quota: null, tokenRateLimit: null });

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

const wholeNumber = (bounds: { min: number; max: number }) =>
  `Enter a whole number from ${bounds.min.toLocaleString('en')} to ${bounds.max.toLocaleString('en')}.`;

/** One limit on the form: the admin API's schema, and which input (with what words) each of its members comes from. */
interface LimitForm {
  schema: z.ZodType<unknown>;
  inputs: Record<string, { field: LimitField; numeric: boolean; wrong: string }>;
}

const rateLimitForm = (requests: LimitField, window: LimitField): LimitForm => ({
  schema: rateLimitSchema,
  inputs: {
    requests: { field: requests, numeric: true, wrong: wholeNumber(LIMIT_BOUNDS.rateRequests) },
    windowSeconds: { field: window, numeric: true, wrong: wholeNumber(LIMIT_BOUNDS.windowSeconds) },
  },
});

const LIMIT_FORMS: Record<keyof KeyLimitSettings, LimitForm> = {
  rateLimit: rateLimitForm('rateLimitRequests', 'rateLimitWindow'),
  quota: {
    schema: quotaSchema,
    inputs: {
      requests: { field: 'quotaRequests', numeric: true, wrong: wholeNumber(LIMIT_BOUNDS.quotaRequests) },
      period: { field: 'quotaPeriod', numeric: false, wrong: 'Choose per day or per month.' },
    },
  },
  tokenRateLimit: rateLimitForm('tokenRateLimitRequests', 'tokenRateLimitWindow'),
};

/** Digits as typed (a sign and decimals too, so the schema's bounds and whole-number rule speak); anything else is NaN. */
function numberOf(text: string): number {
  return /^[+-]?\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
}

/** One limit read from its inputs: null when its number boxes are all empty; errors by input otherwise. */
function readLimit(form: LimitForm, values: LimitValues, errors: KeyFormErrors): unknown {
  const inputs = Object.entries(form.inputs);
  if (inputs.every(([, input]) => !input.numeric || values[input.field] === '')) return null;
  const body = Object.fromEntries(inputs.map(([member, input]) => [member, input.numeric ? numberOf(values[input.field]) : values[input.field]]));
  const parsed = form.schema.safeParse(body);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const input = form.inputs[String(issue.path[0])];
    if (!input || errors[input.field] !== undefined) continue;
    errors[input.field] = values[input.field] === '' ? 'Fill this in too, or empty the limit’s boxes for no limit.' : input.wrong;
  }
  return undefined;
}

/** Core's words on a JWK Set, for someone who pasted it: keys counted from 1, and a private key called out. */
function jwksError(detail: string | undefined, pastedPrivateKey: boolean): string {
  const described = (detail ?? 'those keys cannot be used')
    .replace(/^keys: /, '')
    .replace(/\bkeys\.(\d+)(?:\.(\w+))?: /g, (_all, index: string, member?: string) => `key ${Number(index) + 1}${member ? ` (${member})` : ''}: `);
  const sentence = `${described.charAt(0).toUpperCase()}${described.slice(1)}.`;
  return pastedPrivateKey
    ? `${sentence} The page did not keep what you pasted. Treat that private key as exposed: make a new key pair and paste only its public key.`
    : sentence;
}

/** What the form asks for; `expiresAt` undefined keeps the key's expiry (edit only), null means never. */
export interface KeyFormInput extends KeyLimitSettings {
  name: string;
  scopes: string[];
  expiresAt: number | null | undefined;
  authMethod: KeyAuthMethod;
  /** The checked public keys of a private_key_jwt key. */
  jwks: ClientJwks | undefined;
}

export type ParsedKeyForm =
  | { ok: true; input: KeyFormInput }
  /** `values` as the form shows them again: without a pasted private key. */
  | { ok: false; errors: KeyFormErrors; values: KeyFormValues };

/** The form's values checked as the admin API checks a body; the errors, in the form's words, by field. */
export async function parseKeyForm(values: KeyFormValues, now: number): Promise<ParsedKeyForm> {
  const errors: KeyFormErrors = {};
  let shown = values;
  const name = nameSchema.safeParse(values.name);
  if (!name.success) errors.name = name.error.issues[0]!.message;
  let jwks: ClientJwks | undefined;
  if (values.authMethod === 'private_key_jwt') {
    if (values.jwks === '') {
      errors.jwks = `Paste the client’s public key: a JWK, or a JWK Set of up to ${MAX_CLIENT_KEYS}.`;
    } else {
      const read = await readClientJwks(values.jwks);
      if (read.ok) jwks = read.value.jwks;
      else {
        const pastedPrivateKey = holdsPrivateKey(values.jwks);
        errors.jwks = jwksError(read.detail, pastedPrivateKey);
        if (pastedPrivateKey) shown = { ...values, jwks: '' };
      }
    }
  }
  const scopes = scopesSchema.safeParse(values.scopes);
  if (!scopes.success) errors.scopes = scopes.error.issues[0]!.message;
  const expiry = readExpiry(values, now);
  if (!expiry.ok) errors.expiresAt = expiry.message;
  const limits: KeyLimitSettings = {};
  if (values.limitsPosted) {
    for (const [name, form] of Object.entries(LIMIT_FORMS) as [keyof KeyLimitSettings, LimitForm][]) {
      Object.assign(limits, { [name]: readLimit(form, values.limits, errors) });
    }
  }
  if (!name.success || !scopes.success || !expiry.ok || Object.keys(errors).length > 0) return { ok: false, errors, values: shown };
  return {
    ok: true,
    input: {
      name: name.data,
      scopes: scopes.data,
      expiresAt: expiry.expiresAt,
      authMethod: values.authMethod,
      jwks,
      ...limits,
    },
  };
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
    // The form checked the keys with the same core code; this is what is left (jwks on a secret key: a forged form).
    case 'invalid_jwks':
      return { errors: { jwks: jwksError(failure.detail, false) }, status: 400 };
    default:
      return assertNever(failure.reason);
  }
}

/** The first field with an error, in the form's order: where focus goes when the page comes back. */
export function firstErrorField(errors: KeyFormErrors): KeyField | undefined {
  return KEY_FIELDS.find((field) => errors[field] !== undefined);
}
