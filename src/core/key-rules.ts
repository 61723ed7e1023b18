// What a name (of an account, key or admin token) and a key's scopes and expiry may be. The admin API and the
// console build their input schemas from these rules, each in its own words; key management applies the two
// that depend on configuration and on the time.
import * as z from 'zod';
import { fail, ok, type Result } from '../shared/result.js';
import { unsafeNameCharacter } from './names.js';
import { isScopeToken } from './scopes.js';

export const NAME_MAX_LENGTH = 100;
export const KEY_SCOPES_MAX = 50;

/**
 * A name as stored: trimmed, 1 to 100 characters, none of them a control or bidirectional formatting character
 * (core/names.ts). A surface words each refusal (`unsafe` gets the character, as `U+XXXX`), or leaves zod's words.
 */
export function createNameSchema(words: { empty?: string; tooLong?: string; unsafe: (found: string) => string }) {
  return z
    .string()
    .trim()
    .min(1, words.empty)
    .max(NAME_MAX_LENGTH, words.tooLong)
    .superRefine((name, context) => {
      const found = unsafeNameCharacter(name);
      if (found) context.addIssue({ code: 'custom', message: words.unsafe(found) });
    });
}

/** A key's scopes: RFC 6749 §3.3 scope tokens, at most 50. */
export function createKeyScopesSchema(words: { invalidScope: string | ((scope: string) => string); tooMany?: string }) {
  const { invalidScope } = words;
  const error = typeof invalidScope === 'string' ? invalidScope : (issue: { input?: unknown }) => invalidScope(String(issue.input));
  return z.array(z.string().refine(isScopeToken, { error })).max(KEY_SCOPES_MAX, words.tooMany);
}

/** Every scope is one KEYMINT_SCOPES lists (when it lists any). */
export function checkAllowedScopes(
  scopes: readonly string[] | undefined,
  allowed: readonly string[] | undefined,
): Result<void, 'scope_not_allowed'> {
  const outside = allowed && scopes?.find((scope) => !allowed.includes(scope));
  return outside ? fail('scope_not_allowed', `scope "${outside}" is not one of KEYMINT_SCOPES`) : ok(undefined);
}

/** An expiry, when there is one, is still ahead. */
export function checkExpiry(expiresAt: number | null | undefined, now: number): Result<void, 'expiry_in_past'> {
  return expiresAt != null && expiresAt <= now ? fail('expiry_in_past', 'expiresAt must be in the future') : ok(undefined);
}
