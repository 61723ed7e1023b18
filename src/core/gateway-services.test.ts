import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createServiceMatcher, type GatewayService, type ServiceMatch } from './gateway-services.js';
import { findRouteRule } from './proxy-routes.js';

const service = (name: string, path: string, extra: Partial<GatewayService> = {}): GatewayService => ({
  name,
  path,
  upstream: `http://${name}.internal`,
  audience: undefined,
  timeoutMs: 30_000,
  rules: [],
  stripPrefix: false,
  ...extra,
});

describe('the service matcher', () => {
  const matcher = createServiceMatcher([
    service('catch-all', '/'),
    service('orders', '/orders', { stripPrefix: true }),
    service('order-reports', '/orders/reports'),
    service('billing', '/billing/v2'),
  ]);
  const match = (path: string) => {
    const found = matcher.match(path);
    return found && { name: found.service.name, upstreamPath: found.upstreamPath, servicePath: found.servicePath };
  };

  it('picks the longest prefix, whole segments only', () => {
    expect(match('/orders/1')).toEqual({ name: 'orders', upstreamPath: '/1', servicePath: '/1' });
    expect(match('/orders/reports/2026')).toEqual({
      name: 'order-reports',
      upstreamPath: '/orders/reports/2026',
      servicePath: '/2026',
    });
    expect(match('/orders/reportsx')).toMatchObject({ name: 'orders', upstreamPath: '/reportsx' });
    expect(match('/ordersheet')).toEqual({ name: 'catch-all', upstreamPath: '/ordersheet', servicePath: '/ordersheet' });
    expect(match('/billing/v2/invoices')).toMatchObject({ name: 'billing', servicePath: '/invoices' });
    expect(match('/billing/v3')).toMatchObject({ name: 'catch-all' });
    expect(match('/billing')).toMatchObject({ name: 'catch-all' });
  });

  it('sends the prefix itself to the service root, with or without a trailing slash', () => {
    expect(match('/orders')).toEqual({ name: 'orders', upstreamPath: '/', servicePath: '/' });
    expect(match('/orders/')).toEqual({ name: 'orders', upstreamPath: '/', servicePath: '/' });
    expect(match('/billing/v2')).toEqual({ name: 'billing', upstreamPath: '/billing/v2', servicePath: '/' });
    expect(match('/')).toEqual({ name: 'catch-all', upstreamPath: '/', servicePath: '/' });
  });

  it('ignores letter case in the prefix but keeps it in what the upstream gets', () => {
    expect(match('/ORDERS/Abc')).toEqual({ name: 'orders', upstreamPath: '/Abc', servicePath: '/Abc' });
    expect(match('/Billing/V2/X')).toEqual({ name: 'billing', upstreamPath: '/Billing/V2/X', servicePath: '/X' });
  });

  it('matches nothing without a root service when no prefix covers the path', () => {
    const partial = createServiceMatcher([service('orders', '/orders')]);
    expect(partial.match('/billing')).toBeUndefined();
    expect(partial.match('/')).toBeUndefined();
    expect(partial.match('/orders/9')?.service.name).toBe('orders');
    expect(createServiceMatcher([]).match('/x')).toBeUndefined();
  });

  it('gives the service path to the service’s own route rules', () => {
    const orders = service('orders', '/orders', {
      rules: [
        { method: '*', path: '/', scopes: ['orders:read'] },
        { method: 'POST', path: '/refunds', scopes: ['orders:refund'] },
      ],
    });
    const found = createServiceMatcher([orders]).match('/orders/refunds/7')!;
    expect(findRouteRule(found.service.rules, 'POST', found.servicePath)?.scopes).toEqual(['orders:refund']);
    expect(findRouteRule(found.service.rules, 'GET', found.servicePath)?.scopes).toEqual(['orders:read']);
  });

  it('refuses two services on one prefix, whatever their case', () => {
    expect(() => createServiceMatcher([service('a', '/x'), service('b', '/X')])).toThrow(/two services on the path/);
    expect(() => createServiceMatcher([service('a', '/'), service('b', '/')])).toThrow(/two services on the path "\/"/);
  });
});

// The definition, read literally: every service whose prefix covers the path (as route rules cover paths), the longest.
function naiveMatch(services: readonly GatewayService[], path: string): ServiceMatch | undefined {
  const covers = (prefix: string) =>
    prefix === '/' || path.toLowerCase() === prefix.toLowerCase() || path.toLowerCase().startsWith(`${prefix.toLowerCase()}/`);
  const best = services.filter((candidate) => covers(candidate.path)).sort((a, b) => b.path.length - a.path.length)[0];
  if (!best) return undefined;
  const servicePath = (best.path === '/' ? path : path.slice(best.path.length)) || '/';
  return { service: best, servicePath, upstreamPath: best.stripPrefix ? servicePath : path || '/' };
}

describe('the service matcher against the definition', () => {
  // Few distinct segments, so that generated paths often share prefixes with generated services.
  const segment = fc.constantFrom('a', 'B', 'ab', 'b', 'api', 'API', 'v1', 'x-y', '');
  const prefix = fc.array(segment.filter((part) => part !== ''), { minLength: 0, maxLength: 4 }).map((parts) => `/${parts.join('/')}`.replace(/^\/$/, '/'));
  const table = fc
    .uniqueArray(fc.record({ path: prefix, stripPrefix: fc.boolean() }), {
      selector: (entry) => entry.path.toLowerCase(),
      maxLength: 8,
    })
    .map((entries) => entries.map((entry, index) => service(`s${index}`, entry.path, { stripPrefix: entry.stripPrefix })));
  const path = fc.array(segment, { minLength: 0, maxLength: 6 }).map((parts) => `/${parts.join('/')}`);

  it('finds the same service, upstream path and service path for any table and path', () => {
    fc.assert(
      fc.property(table, path, (services, requestPath) => {
        const fast = createServiceMatcher(services).match(requestPath);
        const naive = naiveMatch(services, requestPath);
        expect(fast?.service.name).toBe(naive?.service.name);
        expect(fast?.upstreamPath).toBe(naive?.upstreamPath);
        expect(fast?.servicePath).toBe(naive?.servicePath);
      }),
      { numRuns: 2000 },
    );
  });
});
