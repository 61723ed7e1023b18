// parseServiceTables: SPEC §7's service table from KEYMINT_SERVICES_{ENV}, KEYMINT_ROUTES_FILE or the older variables.
import { describe, expect, it } from 'vitest';
import { formatConfigIssue, parseServiceTables, type ServiceSources } from './services.js';

const PUBLIC_URL = 'https://auth.example.com';

function sources(overrides: Partial<ServiceSources>): ServiceSources {
  return { services: {}, upstreams: {}, routes: {}, upstreamTimeoutMs: 30_000, publicUrl: PUBLIC_URL, ...overrides };
}

function tables(overrides: Partial<ServiceSources>) {
  const result = parseServiceTables(sources(overrides));
  if (!result.ok) throw new Error(`refused:\n${result.issues.map(formatConfigIssue).join('\n')}`);
  return result.value;
}

function messages(overrides: Partial<ServiceSources>): string[] {
  const result = parseServiceTables(sources(overrides));
  if (result.ok) throw new Error('the configuration was accepted');
  return result.issues.map(formatConfigIssue);
}

const orders = { name: 'orders', path: '/orders', upstream: 'http://orders.internal:8080/v1/' };

describe('KEYMINT_SERVICES_{ENV}', () => {
  it('reads services with their defaults and normalized paths', () => {
    const read = tables({
      services: {
        sandbox: JSON.stringify([
          orders,
          {
            name: 'billing',
            path: '/Billing/%762/',
            upstream: 'https://billing.internal',
            audience: 'https://api.example.com/billing',
            timeoutMs: 2500,
            stripPrefix: true,
            rules: [{ method: 'post', path: '/refunds/', scopes: ['billing:refund'] }],
          },
        ]),
      },
    });
    expect(read.sandbox).toEqual([
      {
        name: 'orders',
        path: '/orders',
        upstream: 'http://orders.internal:8080/v1',
        audience: undefined,
        timeoutMs: 30_000,
        rules: [],
        stripPrefix: false,
      },
      {
        name: 'billing',
        path: '/Billing/v2',
        upstream: 'https://billing.internal',
        audience: 'https://api.example.com/billing',
        timeoutMs: 2500,
        rules: [{ method: 'POST', path: '/refunds', scopes: ['billing:refund'] }],
        stripPrefix: true,
      },
    ]);
    expect(read.production).toEqual([]);
  });

  it('names the variable, the service and the field of each problem, all at once', () => {
    const found = messages({
      services: {
        sandbox: JSON.stringify([
          orders,
          { name: 'bad name!', path: 'orders', upstream: 'ftp://x', audience: 'not-absolute', timeoutMs: 0, extra: true },
          { name: 'b', path: '/b', upstream: 'http://b?x=1', stripPrefix: 'yes', rules: [{ path: 'x' }] },
        ]),
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "KEYMINT_SERVICES_SANDBOX: [1].name: must be 1-64 letters, digits, '.', '_' or '-'",
        expect.stringMatching(/^KEYMINT_SERVICES_SANDBOX: \[1\]\.path: must start with \//),
        'KEYMINT_SERVICES_SANDBOX: [1].upstream: must be an http(s) URL',
        'KEYMINT_SERVICES_SANDBOX: [1].audience: must be an absolute URI without a fragment (RFC 8707)',
        'KEYMINT_SERVICES_SANDBOX: [1].timeoutMs: must be from 1 to 3600000',
        'KEYMINT_SERVICES_SANDBOX: [1]: Unrecognized key: "extra"',
        expect.stringMatching(/^KEYMINT_SERVICES_SANDBOX: \[2\]\.upstream: must hold no query or fragment/),
        'KEYMINT_SERVICES_SANDBOX: [2].stripPrefix: must be true or false',
        expect.stringMatching(/^KEYMINT_SERVICES_SANDBOX: \[2\]\.rules\[0\]\.path: must start with \//),
      ]),
    );
  });

  it('refuses what is not a JSON array of services', () => {
    expect(messages({ services: { production: 'nope' } })).toEqual(['KEYMINT_SERVICES_PRODUCTION: is not valid JSON']);
    expect(messages({ services: { production: '{"name":"x"}' } })).toEqual([
      'KEYMINT_SERVICES_PRODUCTION: must be a JSON array of services',
    ]);
    expect(messages({ services: { sandbox: '[{}]' } })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^KEYMINT_SERVICES_SANDBOX: \[0\]\.name: /)]),
    );
  });

  it('refuses a repeated name, prefix (whatever its case) or audience', () => {
    const audience = 'urn:example:orders';
    const found = messages({
      services: {
        sandbox: JSON.stringify([
          { ...orders, audience },
          { name: 'ORDERS', path: '/other', upstream: 'http://o2' },
          { name: 'again', path: '/Orders/', upstream: 'http://o3' },
          { name: 'thief', path: '/thief', upstream: 'http://o4', audience },
        ]),
      },
    });
    expect(found).toEqual([
      'KEYMINT_SERVICES_SANDBOX: [1].name: is already the name of service "orders"',
      'KEYMINT_SERVICES_SANDBOX: [2].path: is already the path of service "orders"',
      'KEYMINT_SERVICES_SANDBOX: [3].audience: is already the audience of service "orders"',
    ]);
  });

  it('takes a catch-all service at /, beside longer prefixes', () => {
    const rest = { name: 'rest', path: '/', upstream: 'http://rest' };
    const read = tables({ services: { production: JSON.stringify([rest, orders]) } });
    expect(read.production.map((service) => service.path)).toEqual(['/', '/orders']);
    expect(messages({ services: { production: JSON.stringify([rest, { ...rest, name: 'again', path: '/' }]) } })).toEqual([
      'KEYMINT_SERVICES_PRODUCTION: [1].path: is already the path of service "rest"',
    ]);
  });

  it('lets sandbox and production use the same names, paths and audiences', () => {
    const list = JSON.stringify([{ ...orders, audience: 'urn:example:orders' }]);
    const read = tables({ services: { sandbox: list, production: list } });
    expect(read.sandbox[0]?.audience).toBe('urn:example:orders');
    expect(read.production[0]?.audience).toBe('urn:example:orders');
  });

  it('refuses paths the proxy could never match or would read two ways', () => {
    for (const path of ['/a//b', '/a/./b', '/a/../b', '/a/%2E%2E/b', '/a;b', '/a%2Fb', '/a\\b', '/é', '/a b', '/a?b', '/a#b']) {
      const found = messages({ services: { sandbox: JSON.stringify([{ ...orders, path }]) } });
      expect(found, path).toEqual([expect.stringMatching(/^KEYMINT_SERVICES_SANDBOX: \[0\]\.path: /)]);
    }
  });

  it('refuses an upstream with credentials, and a service claiming the default audience', () => {
    expect(messages({ services: { sandbox: JSON.stringify([{ ...orders, upstream: 'http://u:p@orders' }]) } })).toEqual([
      'KEYMINT_SERVICES_SANDBOX: [0].upstream: must hold no user name or password',
    ]);
    expect(
      messages({ services: { production: JSON.stringify([{ ...orders, audience: `${PUBLIC_URL}/production/api` }]) } }),
    ).toEqual(['KEYMINT_SERVICES_PRODUCTION: [0].audience: is the default audience, which every service accepts already']);
    // The other environment's default audience is just a URI here.
    expect(tables({ services: { sandbox: JSON.stringify([{ ...orders, audience: `${PUBLIC_URL}/production/api` }]) } }).sandbox).toHaveLength(1);
  });

  it('caps an environment at 100 services', () => {
    const many = Array.from({ length: 101 }, (_, index) => ({ name: `s${index}`, path: `/s${index}`, upstream: 'http://x' }));
    expect(messages({ services: { sandbox: JSON.stringify(many) } })).toEqual([
      'KEYMINT_SERVICES_SANDBOX: must list at most 100 services',
    ]);
  });
});

describe('the older variables', () => {
  it('make one service named default at /, with the global timeout and the environment’s rules', () => {
    const rules = [{ method: 'GET', path: '/orders', scopes: ['orders:read'] }];
    const read = tables({ upstreams: { sandbox: 'http://legacy.internal' }, routes: { sandbox: rules }, upstreamTimeoutMs: 5000 });
    expect(read).toEqual({
      sandbox: [
        {
          name: 'default',
          path: '/',
          upstream: 'http://legacy.internal',
          audience: undefined,
          timeoutMs: 5000,
          rules,
          stripPrefix: false,
        },
      ],
      production: [],
    });
  });

  it('give no service without an upstream, rules or not (the proxy answers 404 there, as before)', () => {
    expect(tables({ routes: { production: [{ method: '*', path: '/', scopes: ['x'] }] } })).toEqual({ sandbox: [], production: [] });
  });

  it('cannot be mixed with services for the same environment', () => {
    const found = messages({
      services: { sandbox: JSON.stringify([orders]) },
      upstreams: { sandbox: 'http://legacy', production: 'http://fine' },
      routes: { sandbox: [] },
    });
    expect(found).toEqual([
      'KEYMINT_UPSTREAM_SANDBOX: cannot be combined with KEYMINT_SERVICES_SANDBOX: list this upstream there as a service with "path": "/"',
      'KEYMINT_ROUTES_SANDBOX: cannot be combined with KEYMINT_SERVICES_SANDBOX: give each service its own "rules"',
    ]);
  });
});

describe('KEYMINT_ROUTES_FILE', () => {
  it('still reads the first format: route rules per environment for KEYMINT_UPSTREAM_{ENV}', () => {
    const read = tables({
      routesFile: JSON.stringify({ production: [{ method: 'POST', path: '/pay/', scopes: ['pay'] }] }),
      upstreams: { production: 'https://pay.internal' },
    });
    expect(read.production).toEqual([
      expect.objectContaining({ name: 'default', path: '/', rules: [{ method: 'POST', path: '/pay', scopes: ['pay'] }] }),
    ]);
  });

  it('reads services per environment, beside the first format for the other environment', () => {
    const read = tables({
      routesFile: JSON.stringify({ sandbox: { services: [orders] }, production: [] }),
      upstreams: { production: 'https://legacy.internal' },
    });
    expect(read.sandbox.map((service) => service.name)).toEqual(['orders']);
    expect(read.production.map((service) => [service.name, service.upstream])).toEqual([['default', 'https://legacy.internal']]);
  });

  it('names the file and the place of each problem', () => {
    expect(messages({ routesFile: '{' })).toEqual(['KEYMINT_ROUTES_FILE: is not valid JSON']);
    expect(messages({ routesFile: '[]' })).toEqual([
      'KEYMINT_ROUTES_FILE: must hold a JSON object {"sandbox": …, "production": …}',
    ]);
    expect(messages({ routesFile: JSON.stringify({ prod: [] }) })).toEqual(['KEYMINT_ROUTES_FILE: Unrecognized key: "prod"']);
    expect(messages({ routesFile: JSON.stringify({ sandbox: 'x' }) })).toEqual([
      'KEYMINT_ROUTES_FILE: sandbox: must be an array of route rules or an object {"services": [...]}',
    ]);
    expect(messages({ routesFile: JSON.stringify({ sandbox: { services: [{ ...orders, upstream: 'nope' }], extra: 1 } }) })).toEqual([
      'KEYMINT_ROUTES_FILE: sandbox.services[0].upstream: must be an http(s) URL',
      'KEYMINT_ROUTES_FILE: sandbox: Unrecognized key: "extra"',
    ]);
    expect(messages({ routesFile: JSON.stringify({ sandbox: [{ path: 'x' }] }) })).toEqual([
      'KEYMINT_ROUTES_FILE: sandbox[0].path: must start with / and hold no query, fragment or space',
    ]);
  });

  it('cannot list an environment’s services twice, or beside the older variables', () => {
    expect(
      messages({
        routesFile: JSON.stringify({ sandbox: { services: [orders] }, production: [{ path: '/x' }] }),
        services: { sandbox: JSON.stringify([orders]), production: JSON.stringify([orders]) },
        upstreams: { sandbox: 'http://legacy' },
      }),
    ).toEqual([
      'KEYMINT_SERVICES_SANDBOX: set the sandbox services here or in KEYMINT_ROUTES_FILE, not both',
      'KEYMINT_UPSTREAM_SANDBOX: cannot be combined with KEYMINT_SERVICES_SANDBOX: list this upstream there as a service with "path": "/"',
      'KEYMINT_ROUTES_FILE: production: holds route rules while KEYMINT_SERVICES_PRODUCTION lists services: give each service its own "rules"',
    ]);
  });
});
