// The rules every surface builds its key and name input from.
import { describe, expect, it } from 'vitest';
import { checkAllowedScopes, checkExpiry, createKeyScopesSchema, createNameSchema } from './key-rules.js';

const messages = (result: { success: boolean; error?: { issues: Array<{ message: string }> } }) =>
  result.error?.issues.map((issue) => issue.message) ?? [];

describe('key rules', () => {
  it('a name is trimmed, 1 to 100 printable characters, refused in the words the surface gives', () => {
    const worded = createNameSchema({ empty: 'Give it a name.', tooLong: 'Keep it short.', unsafe: (found) => `No ${found}.` });
    expect(worded.parse('  orders  ')).toBe('orders');
    expect(worded.parse('x'.repeat(100))).toHaveLength(100);
    expect(messages(worded.safeParse('   '))).toEqual(['Give it a name.']);
    expect(messages(worded.safeParse('x'.repeat(101)))).toEqual(['Keep it short.']);
    expect(messages(worded.safeParse('orders\u001b[2J'))).toEqual(['No U+001B.']);
    // Without words of its own a surface gets zod's (the admin API's since its start).
    const plain = createNameSchema({ unsafe: () => 'unsafe' });
    expect(messages(plain.safeParse(''))).toEqual(['Too small: expected string to have >=1 characters']);
  });

  it('scopes are RFC 6749 scope tokens, at most 50, each refusal naming the scope when the surface wants it', () => {
    const schema = createKeyScopesSchema({ invalidScope: (scope) => `${scope} is no scope`, tooMany: 'Too many.' });
    expect(schema.parse(['orders:read', 'orders:write'])).toEqual(['orders:read', 'orders:write']);
    expect(messages(schema.safeParse(['ok', 'not ok', 'quo"te']))).toEqual(['not ok is no scope', 'quo"te is no scope']);
    expect(messages(schema.safeParse(Array.from({ length: 51 }, (_, i) => `s${i}`)))).toEqual(['Too many.']);
  });

  it('KEYMINT_SCOPES bounds the scopes when it is set; an expiry must lie ahead', () => {
    expect(checkAllowedScopes(['a', 'c'], ['a', 'b'])).toEqual({ ok: false, reason: 'scope_not_allowed', detail: 'scope "c" is not one of KEYMINT_SCOPES' });
    expect(checkAllowedScopes(['anything'], undefined).ok).toBe(true);
    expect(checkExpiry(1000, 1000)).toMatchObject({ ok: false, reason: 'expiry_in_past' });
    expect(checkExpiry(1001, 1000).ok).toBe(true);
    expect(checkExpiry(null, 1000).ok).toBe(true);
  });
});
