// Route rules cannot be dodged by spelling a protected path the way an upstream would still accept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_PATHS, startGateway, type Gateway } from './support/gateway.js';
import { request } from 'node:http';
import { startUpstream, type Upstream } from './support/upstream.js';

const RULES = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { path: '/orders', scopes: ['orders:write'] },
];

describe.each(SERVER_PATHS)('proxy paths, %s', (_path, server) => {
  let upstream: Upstream;
  let gateway: Gateway;
  let token: string;
  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      server,
      env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url, KEYMINT_ROUTES_SANDBOX: JSON.stringify(RULES) },
    });
    const account = await gateway.createAccount();
    token = await gateway.mint('sandbox', await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] }));
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  const post = (path: string) =>
    gateway.fetch(`/sandbox/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'a=1' });

  it('applies a rule to any casing of its path', async () => {
    for (const path of ['/orders/1', '/ORDERS/1', '/Orders']) {
      const response = await post(path);
      expect(response.status, path).toBe(403);
      expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    }
  });

  it('refuses matrix parameters and encoded slashes with 400 problem JSON, before the upstream sees them', async () => {
    const before = upstream.seen.length;
    for (const path of ['/orders;x/1', '/orders%2F1', '/orders%5c1']) {
      const response = await post(path);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    expect(upstream.seen.length).toBe(before);
  });

  it('answers a path whose dot segments leave /{env}/api as the path it leads to, without proxying it', async () => {
    const before = upstream.seen.length;
    // The path exactly as written (fetch, or a URL, would resolve the dots before sending).
    const asWritten = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(gateway.url);
        const sent = request({ hostname, port, path, headers: { authorization: `Bearer ${token}` } }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        sent.on('error', reject);
        sent.end();
      });
    const escaped = await asWritten('/sandbox/api/../oauth/token');
    expect(escaped.status).toBe(405);
    expect(JSON.parse(escaped.body)).toMatchObject({ error: 'invalid_request' });
    const inside = await asWritten('/sandbox/api/a/../orders/7');
    expect(inside.status).toBe(200);
    expect(upstream.seen.slice(before).map((seen) => seen.url)).toEqual(['/orders/7']);
  });

  it('still forwards what the token may do', async () => {
    const response = await gateway.fetch('/sandbox/api/ORDERS/7', { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(upstream.seen.at(-1)?.url).toBe('/ORDERS/7');
  });
});
