// The proxy as an API gateway (SPEC §7) over real sockets, on both of the Node process's proxy paths: several
// upstream services by longest prefix, stripPrefix, per-service timeouts and rules, 404 where no service serves,
// and audiences (RFC 8707) — `resource` at the token endpoint, a named-audience token only on its own service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_PATHS, startGateway, startOrdersAndRestGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { introspect, postForm } from './support/oauth-calls.js';
import { startUpstream, type Echo, type Upstream } from './support/upstream.js';

const ORDERS_AUDIENCE = 'https://orders.example.com/api';
const EU_AUDIENCE = 'https://orders.example.com/eu';

async function echoed(response: Response): Promise<Echo> {
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

async function tokenFor(gateway: Gateway, key: ApiKeyWithSecret, params: Record<string, string> = {}): Promise<string> {
  const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, params);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe.each(SERVER_PATHS)('API gateway services, %s', (_name, server) => {
  let orders: Upstream;
  let eu: Upstream;
  let root: Upstream;
  let gateway: Gateway;
  let key: ApiKeyWithSecret;
  let admin: ApiKeyWithSecret;

  beforeAll(async () => {
    [orders, eu, root] = await Promise.all([startUpstream(), startUpstream(), startUpstream()]);
    gateway = await startGateway({
      server,
      env: {
        KEYMINT_UPSTREAM_TIMEOUT_MS: '20000',
        KEYMINT_SERVICES_SANDBOX: JSON.stringify([
          {
            name: 'orders',
            path: '/orders',
            upstream: `${orders.url}/v1`,
            audience: ORDERS_AUDIENCE,
            stripPrefix: true,
            rules: [{ method: 'POST', path: '/admin', scopes: ['orders:admin'] }],
          },
          { name: 'orders-eu', path: '/orders/eu', upstream: eu.url, audience: EU_AUDIENCE },
          { name: 'everything-else', path: '/', upstream: root.url, timeoutMs: 300 },
        ]),
        KEYMINT_SERVICES_PRODUCTION: JSON.stringify([{ name: 'billing', path: '/billing', upstream: root.url }]),
      },
    });
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
    admin = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:admin'] });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([orders, eu, root].map((upstream) => upstream?.close()));
  });

  it('sends each call to the service with the longest matching prefix, whole segments only', async () => {
    const auth = { authorization: `Bearer ${await tokenFor(gateway, key)}` };
    // stripPrefix: the orders upstream (at /v1) gets the path less /orders, and the query as sent.
    expect((await echoed(await gateway.fetch('/sandbox/api/orders/42/items?b=2&a=1', { headers: auth }))).url).toBe('/v1/42/items?b=2&a=1');
    expect((await echoed(await gateway.fetch('/sandbox/api/orders', { headers: auth }))).url).toBe('/v1/');
    // The deeper prefix wins, and without stripPrefix its upstream gets the whole path.
    expect((await echoed(await gateway.fetch('/sandbox/api/orders/eu/7', { headers: auth }))).url).toBe('/orders/eu/7');
    // Prefixes ignore letter case as route rules do; the upstream gets the path as sent.
    expect((await echoed(await gateway.fetch('/sandbox/api/ORDERS/Eu/8', { headers: auth }))).url).toBe('/ORDERS/Eu/8');
    // `/ordersX` is not under `/orders`: the root service takes it.
    expect((await echoed(await gateway.fetch('/sandbox/api/ordersX/1', { headers: auth }))).url).toBe('/ordersX/1');
    expect(orders.seen.map((seen) => seen.url)).toEqual(['/v1/42/items?b=2&a=1', '/v1/']);
    expect(eu.seen.map((seen) => seen.url)).toEqual(['/orders/eu/7', '/ORDERS/Eu/8']);
    expect(root.seen.map((seen) => seen.url)).toEqual(['/ordersX/1']);
  });

  it("applies each service's own timeout", async () => {
    const auth = { authorization: `Bearer ${await tokenFor(gateway, key)}` };
    const response = await gateway.fetch('/sandbox/api/hang', { headers: auth });
    expect(response.status).toBe(504);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'gateway_timeout', detail: 'the upstream made no progress within 300 ms' });
  });

  it("checks a service's route rules against the path relative to the service", async () => {
    const plain = { authorization: `Bearer ${await tokenFor(gateway, key)}` };
    const refused = await gateway.fetch('/sandbox/api/orders/admin', { method: 'POST', headers: plain });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(refused.headers.get('www-authenticate')).toContain('scope="orders:admin"');
    const allowed = { authorization: `Bearer ${await tokenFor(gateway, admin)}` };
    expect((await echoed(await gateway.fetch('/sandbox/api/orders/admin', { method: 'POST', headers: allowed }))).url).toBe('/v1/admin');
    // The orders service's rule says nothing of the root service's /admin.
    expect((await echoed(await gateway.fetch('/sandbox/api/admin', { method: 'POST', headers: plain }))).url).toBe('/admin');
  });

  it('answers 404 problem JSON for a path no service covers', async () => {
    const account = await gateway.createAccount('Billing');
    const production = await gateway.createKey(account.id, { environment: 'production' });
    const token = await gateway.mint('production', production);
    const before = root.seen.length;
    const response = await gateway.fetch('/production/api/orders/1', { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'no service of production serves /orders/1' });
    expect((await echoed(await gateway.fetch('/production/api/billing/1', { headers: { authorization: `Bearer ${token}` } }))).url).toBe(
      '/billing/1',
    );
    expect(root.seen.length).toBe(before + 1);
  });

  it('accepts a token for a named audience on its own service only, and default-audience tokens everywhere', async () => {
    const forOrders = { authorization: `Bearer ${await tokenFor(gateway, key, { resource: ORDERS_AUDIENCE })}` };
    expect((await echoed(await gateway.fetch('/sandbox/api/orders/1', { headers: forOrders }))).url).toBe('/v1/1');
    for (const elsewhere of ['/sandbox/api/orders/eu/1', '/sandbox/api/other']) {
      const refused = await gateway.fetch(elsewhere, { headers: forOrders });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(refused.headers.get('www-authenticate')).toContain('another service');
    }
    const forEu = { authorization: `Bearer ${await tokenFor(gateway, key, { resource: EU_AUDIENCE })}` };
    expect((await echoed(await gateway.fetch('/sandbox/api/orders/eu/2', { headers: forEu }))).url).toBe('/orders/eu/2');
    expect((await gateway.fetch('/sandbox/api/orders/2', { headers: forEu })).status).toBe(401);

    const anywhere = { authorization: `Bearer ${await tokenFor(gateway, key)}` };
    for (const path of ['/sandbox/api/orders/3', '/sandbox/api/orders/eu/3', '/sandbox/api/other/3']) {
      expect((await gateway.fetch(path, { headers: anywhere })).status).toBe(200);
    }
    // Api-Key callers carry no audience: every service.
    for (const path of ['/sandbox/api/orders/4', '/sandbox/api/orders/eu/4', '/sandbox/api/other/4']) {
      expect((await gateway.fetch(path, { headers: { 'api-key': key.applicationSecret } })).status).toBe(200);
    }
  });
});

describe('resource at the token endpoint (RFC 8707)', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let key: ApiKeyWithSecret;

  beforeAll(async () => {
    ({ upstream, gateway, key } = await startOrdersAndRestGateway(ORDERS_AUDIENCE));
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  async function refusedTarget(response: Response): Promise<string> {
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_target');
    return body.error_description;
  }

  it("gives the token the service's audience as aud, which introspection shows", async () => {
    const token = await tokenFor(gateway, key, { resource: ORDERS_AUDIENCE });
    expect(await introspect(gateway, 'sandbox', key, token)).toMatchObject({ active: true, aud: ORDERS_AUDIENCE });
    const plain = await tokenFor(gateway, key);
    expect(await introspect(gateway, 'sandbox', key, plain)).toMatchObject({ active: true, aud: `${gateway.url}/sandbox/api` });
    // The issuance cache keeps one token per audience: asking again gives the same one, never the other's.
    expect(await tokenFor(gateway, key, { resource: ORDERS_AUDIENCE })).toBe(token);
    expect(await tokenFor(gateway, key)).toBe(plain);
    // Naming the default audience is the same as naming none.
    expect(await tokenFor(gateway, key, { resource: `${gateway.url}/sandbox/api` })).toBe(plain);
  });

  it('refuses a resource no service of the environment is, with invalid_target', async () => {
    expect(await refusedTarget(await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { resource: 'https://elsewhere.example/api' }))).toBe(
      'no service of this environment is that resource',
    );
    // Compared as strings: a trailing slash is another resource.
    await refusedTarget(await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { resource: `${ORDERS_AUDIENCE}/` }));
    expect(await refusedTarget(await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { resource: 'orders' }))).toBe(
      'the resource must be an absolute URI without a fragment',
    );
    await refusedTarget(await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { resource: `${ORDERS_AUDIENCE}#frag` }));
    // Another environment's audience is not this one's.
    const account = await gateway.createAccount('Prod');
    const production = await gateway.createKey(account.id, { environment: 'production' });
    await refusedTarget(
      await gateway.exchange('production', production.applicationId, production.applicationSecret, { resource: `${gateway.url}/sandbox/api` }),
    );
  });

  it('refuses two resources and a huge one without a 500', async () => {
    const two = new URLSearchParams({ grant_type: 'client_credentials' });
    two.append('resource', ORDERS_AUDIENCE);
    two.append('resource', `${gateway.url}/sandbox/api`);
    const response = await gateway.fetch('/sandbox/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${two}&client_id=${encodeURIComponent(key.applicationId)}&client_secret=${encodeURIComponent(key.applicationSecret)}`,
    });
    expect(await refusedTarget(response)).toBe('ask for one resource per token');
    // JSON spells a repeated parameter as an array.
    const json = await gateway.fetch('/sandbox/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: key.applicationId,
        client_secret: key.applicationSecret,
        resource: [ORDERS_AUDIENCE, ORDERS_AUDIENCE],
      }),
    });
    expect(await refusedTarget(json)).toBe('ask for one resource per token');
    const huge = await postForm(gateway, 'sandbox', 'token', { grant_type: 'client_credentials', resource: `https://x.example/${'a'.repeat(10_000)}` }, key);
    await refusedTarget(huge);
    // Other parameters still may not repeat.
    const scopes = await gateway.fetch('/sandbox/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&scope=a&scope=b&client_id=${encodeURIComponent(key.applicationId)}&client_secret=${encodeURIComponent(key.applicationSecret)}`,
    });
    expect(scopes.status).toBe(400);
    expect(await scopes.json()).toMatchObject({ error: 'invalid_request' });
  });
});
