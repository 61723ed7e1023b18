import { describe, expect, it } from 'vitest';
import { findRouteRule, missingScopes, normalizePath, normalizeRoutePrefix, type RouteRule } from './proxy-routes.js';

const rule = (method: string, path: string, scopes: string[] = []): RouteRule => ({ method, path, scopes });

describe('route rules', () => {
  const rules = [
    rule('*', '/', ['base']),
    rule('*', '/orders', ['orders:read']),
    rule('POST', '/orders', ['orders:write']),
    rule('*', '/orders/public'),
    rule('GET', '/reports', ['reports']),
  ];

  it('pick the longest prefix covering the path, segment by segment', () => {
    expect(findRouteRule(rules, 'GET', '/orders/1')?.scopes).toEqual(['orders:read']);
    expect(findRouteRule(rules, 'GET', '/orders')?.scopes).toEqual(['orders:read']);
    expect(findRouteRule(rules, 'GET', '/orders/public/x')?.scopes).toEqual([]);
    expect(findRouteRule(rules, 'GET', '/ordersheet')?.scopes).toEqual(['base']);
    expect(findRouteRule(rules, 'GET', '/')?.scopes).toEqual(['base']);
  });

  it('prefer a named method over * on the same prefix, and let GET rules cover HEAD', () => {
    expect(findRouteRule(rules, 'POST', '/orders/1')?.scopes).toEqual(['orders:write']);
    expect(findRouteRule(rules, 'DELETE', '/orders/1')?.scopes).toEqual(['orders:read']);
    expect(findRouteRule(rules, 'HEAD', '/reports/1')?.scopes).toEqual(['reports']);
    expect(findRouteRule(rules, 'POST', '/reports/1')?.scopes).toEqual(['base']);
  });

  it('match nothing when no rule covers the request', () => {
    expect(findRouteRule([rule('GET', '/a')], 'GET', '/b')).toBeUndefined();
    expect(findRouteRule([], 'GET', '/')).toBeUndefined();
  });

  it('list the scopes a caller lacks', () => {
    expect(missingScopes(rule('*', '/', ['a', 'b', 'c']), ['b'])).toEqual(['a', 'c']);
    expect(missingScopes(rule('*', '/'), [])).toEqual([]);
  });

  it('normalize escapes of unreserved characters only', () => {
    expect(normalizePath('/%6Frders/%7e/a%2fb/%41%2D')).toBe('/orders/~/a%2Fb/A-');
    expect(normalizeRoutePrefix('/orders///')).toBe('/orders');
    expect(normalizeRoutePrefix('/')).toBe('/');
  });
});
