import { describe, expect, it } from 'vitest';
import { grantScopes, isScopeToken } from './scopes.js';

describe('grantScopes', () => {
  const allowed = ['orders:read', 'orders:write', 'stock'];

  it('grants every allowed scope when none is requested', () => {
    expect(grantScopes(undefined, allowed)).toEqual({ ok: true, value: allowed });
    expect(grantScopes('', allowed)).toEqual({ ok: true, value: allowed });
    expect(grantScopes('   ', allowed)).toEqual({ ok: true, value: allowed });
  });

  it('grants a requested subset, once each, in the key order', () => {
    expect(grantScopes('stock orders:read stock', allowed)).toEqual({ ok: true, value: ['orders:read', 'stock'] });
  });

  it('tolerates repeated spaces between scopes', () => {
    expect(grantScopes('stock  orders:write', allowed)).toEqual({ ok: true, value: ['orders:write', 'stock'] });
  });

  it('refuses a scope the key does not hold, naming it', () => {
    const result = grantScopes('stock admin', allowed);
    expect(result).toMatchObject({ ok: false, reason: 'invalid_scope' });
    expect(!result.ok && result.detail).toContain('admin');
  });

  it('refuses a malformed scope token', () => {
    expect(grantScopes('stock "quoted"', allowed)).toMatchObject({ ok: false, reason: 'invalid_scope' });
  });

  it('refuses any requested scope when the key holds none', () => {
    expect(grantScopes(undefined, [])).toEqual({ ok: true, value: [] });
    expect(grantScopes('stock', [])).toMatchObject({ ok: false, reason: 'invalid_scope' });
  });
});

describe('isScopeToken', () => {
  it.each(['read', 'orders:read', 'https://api.example/x', '!#[]~'])('accepts %s', (scope) => {
    expect(isScopeToken(scope)).toBe(true);
  });

  it.each(['', 'a b', 'say"hi"', 'back\\slash', 'tab\t', 'é', 'x'.repeat(129)])('refuses %j', (scope) => {
    expect(isScopeToken(scope)).toBe(false);
  });
});
