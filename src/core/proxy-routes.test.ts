import { describe, expect, it } from 'vitest';
import {
  findRouteRule,
  isAmbiguousPath,
  missingScopes,
  normalizePath,
  normalizeRoutePrefix,
  type RouteRule,
} from './proxy-routes.js';

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

describe('paths that could dodge a rule', () => {
  const rules = [rule('POST', '/orders', ['orders:write'])];

  it('match rules whatever their case, as case-insensitive upstreams read them', () => {
    expect(findRouteRule(rules, 'POST', '/ORDERS/1')?.scopes).toEqual(['orders:write']);
    expect(findRouteRule(rules, 'POST', '/Orders')?.scopes).toEqual(['orders:write']);
    expect(findRouteRule(rules, 'POST', '/ordersheet')).toBeUndefined();
  });

  it('are ambiguous when they hold matrix parameters, encoded slashes or backslashes, or NUL', () => {
    for (const path of ['/orders;x/1', '/orders%2F1', '/orders%2f1', '/orders%5C1', '/a%00b']) {
      expect(isAmbiguousPath(path), path).toBe(true);
    }
    for (const path of ['/orders/1', '/orders/a%20b', '/reports?x=;']) expect(isAmbiguousPath(path.split('?')[0]!), path).toBe(false);
  });

  it('are ambiguous when they hold encoded controls, spaces at either end of a segment, or escapes that are not UTF-8', () => {
    for (const path of ['/admin%20', '/%20admin', '/a%20/b', '/a%09', '/a%0a', '/a%1F', '/a%7f', '/%c0%ae%c0%ae/admin', '/a%ff', '/a%', '/a%zz']) {
      expect(isAmbiguousPath(path), path).toBe(true);
    }
    for (const path of ['/a%20b/c', '/caf%C3%A9', '/%E2%82%AC', '/a%25b']) expect(isAmbiguousPath(path), path).toBe(false);
  });

  it('are ambiguous when they hold an empty segment, which upstreams that merge slashes drop', () => {
    for (const path of ['//admin', '/a//b', '///admin', '//']) expect(isAmbiguousPath(path), path).toBe(true);
    // A trailing slash is no empty segment between two others.
    for (const path of ['/', '/orders/', '/orders/1/']) expect(isAmbiguousPath(path), path).toBe(false);
  });
});
