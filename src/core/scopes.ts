// Scopes (RFC 6749 §3.3): space-delimited tokens of printable ASCII without space, quote or backslash.
import { fail, ok, type Result } from '../shared/result.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/** The scopes a token gets: the requested subset of the key's scopes, or all of them. */
export function grantScopes(requested: string | undefined, allowed: readonly string[]): Result<string[], 'invalid_scope'> {
  if (requested === undefined || requested.trim() === '') return ok([...allowed]);
  const asked = [...new Set(requested.split(' ').filter(Boolean))];
  for (const scope of asked) {
    if (!isScopeToken(scope)) return fail('invalid_scope', `"${scope.slice(0, 64)}" is not a valid scope`);
    if (!allowed.includes(scope)) return fail('invalid_scope', `this key may not request scope "${scope}"`);
  }
  return ok(allowed.filter((scope) => asked.includes(scope)));
}
