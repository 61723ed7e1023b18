// The reverse proxy (SPEC §3) over real sockets: what reaches the upstream, what comes back, streaming and failures.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';
import { rawRequest, startUpstream, type Echo, type Upstream } from './support/upstream.js';

const MiB = 1024 * 1024;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    bytes += value.byteLength;
  }
  return { bytes, sha256: hash.digest('hex') };
}

function freeClosedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// The Node process answers the proxy on its node:http fast path; app.fetch (the path the Worker runs) forwards
// through the upstream client it is given: Node's node:http one, or fetch as on Workers.
const PATHS = [
  ['the node:http fast path', { server: 'node' }],
  ['app.fetch, node:http upstream client', { server: 'fetch', forwarder: 'node' }],
  ['app.fetch, fetch upstream client as on Workers', { server: 'fetch', forwarder: 'fetch' }],
] as const;

describe.each(PATHS)('reverse proxy, %s', (_path, serving) => {
  let upstream: Upstream;
  let gateway: Gateway;
  let token: string;
  let auth: { authorization: string };
  let key: Awaited<ReturnType<Gateway['createKey']>>;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      ...serving,
      env: {
        KEYMINT_UPSTREAM_SANDBOX: upstream.url,
        KEYMINT_UPSTREAM_PRODUCTION: `${upstream.url}/base/`,
        KEYMINT_UPSTREAM_TIMEOUT_MS: '5000',
      },
    });
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'orders:write'] });
    token = await gateway.mint('sandbox', key);
    auth = { authorization: `Bearer ${token}` };
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('forwards method, path, query, body and headers, with identity headers instead of Authorization', async () => {
    const response = await gateway.fetch('/sandbox/api/orders/42/items?b=2&a=1&a=%20x&empty=', {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json', 'x-request-id': 'r-1', accept: 'application/json' },
      body: '{"qty":3}',
    });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.method).toBe('PATCH');
    expect(echo.url).toBe('/orders/42/items?b=2&a=1&a=%20x&empty=');
    expect(echo.body).toMatchObject({ bytes: 9, text: '{"qty":3}' });
    expect(echo.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': '9',
      'x-request-id': 'r-1',
      accept: 'application/json',
      'x-keymint-client-id': key.applicationId,
      'x-keymint-account': key.accountId,
      'x-keymint-scope': 'orders:read orders:write',
      'x-keymint-env': 'sandbox',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': new URL(gateway.url).host,
      'x-forwarded-for': '127.0.0.1',
    });
    expect(echo.headers.authorization).toBeUndefined();
  });

  it('joins the upstream base path, maps /{env}/api to its root and normalizes escapes of plain characters', async () => {
    const production = await gateway.createKey(key.accountId, { environment: 'production', scopes: ['p'] });
    const productionToken = await gateway.mint('production', production);
    const root = await gateway.fetch('/production/api?x=1', { headers: { authorization: `Bearer ${productionToken}` } });
    expect(((await root.json()) as Echo).url).toBe('/base/?x=1');
    const escaped = await gateway.fetch('/production/api/%6Frders/a%20b/%7e', {
      headers: { authorization: `Bearer ${productionToken}` },
    });
    expect(((await escaped.json()) as Echo).url).toBe('/base/orders/a%20b/~');
  });

  it('replaces spoofed X-Keymint-* headers and drops credentials and hop-by-hop headers', async () => {
    const response = await rawRequest(`${gateway.url}/sandbox/api/spoof`, {
      method: 'POST',
      headers: {
        ...auth,
        'X-Keymint-Client-Id': 'app_sbx_forged',
        'X-Keymint-Account': 'acct_forged',
        'X-Keymint-Scope': 'admin',
        'X-Keymint-Env': 'production',
        'X-Keymint-Anything': 'forged',
        'Api-Key-Hint': 'kept',
        Connection: 'keep-alive, X-Drop-Me',
        'X-Drop-Me': 'hop',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        Trailer: 'X-Checksum',
        'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
        'Proxy-Connection': 'keep-alive',
        'X-Kept': 'end-to-end',
        // curl sends this for large bodies; fetch refuses to forward it, so the proxy must not try.
        Expect: '100-continue',
        'Content-Type': 'text/plain',
      },
      body: 'payload',
    });
    expect(response.status).toBe(200);
    const echo = JSON.parse(response.body) as Echo;
    expect(echo.headers['x-keymint-client-id']).toBe(key.applicationId);
    expect(echo.headers['x-keymint-account']).toBe(key.accountId);
    expect(echo.headers['x-keymint-scope']).toBe('orders:read orders:write');
    expect(echo.headers['x-keymint-env']).toBe('sandbox');
    expect(echo.headers['x-keymint-anything']).toBeUndefined();
    // Each identity header arrives once, not beside the forged one.
    expect(echo.headerNames.filter((name) => name.startsWith('x-keymint-')).sort()).toEqual([
      'x-keymint-account',
      'x-keymint-client-id',
      'x-keymint-env',
      'x-keymint-scope',
    ]);
    for (const dropped of ['x-drop-me', 'keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection', 'authorization', 'expect']) {
      expect(echo.headers[dropped], dropped).toBeUndefined();
    }
    expect(echo.headers['x-kept']).toBe('end-to-end');
    expect(echo.headers['api-key-hint']).toBe('kept');
    expect(echo.body.text).toBe('payload');
  });

  it("returns the upstream's status, headers and body unchanged, minus hop-by-hop headers", async () => {
    for (const status of [201, 404, 500, 503]) {
      const response = await gateway.fetch(`/sandbox/api/status/${status}`, { headers: auth });
      expect(response.status).toBe(status);
      expect(await response.text()).toBe(`status ${status}`);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(response.headers.get('x-upstream')).toBe('yes');
      expect(response.headers.get('cache-control')).toBe('private, max-age=7');
      expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
      expect(response.headers.get('x-hop-secret')).toBeNull();
      expect(response.headers.get('proxy-authenticate')).toBeNull();
    }
  });

  it('logs and counts every proxied call with its request id, as every other request', async () => {
    const response = await gateway.fetch('/sandbox/api/status/404?secret=q', { headers: { ...auth, 'x-request-id': 'proxied-1' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('proxied-1');
    await response.text();
    const line = gateway.logs.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.requestId === 'proxied-1');
    // The path without its query: proxied queries may carry secrets.
    expect(line).toMatchObject({ level: 'info', message: 'request', method: 'GET', path: '/sandbox/api/status/404', status: 404 });
    const metrics = await (await gateway.fetch('/metrics')).text();
    expect(metrics).toMatch(/keymint_http_request_duration_seconds_count\{route="\/\{env\}\/api\/\*",method="GET",status="404"\} [1-9]/);
  });

  it('answers a 205 from the upstream as a 205 without a body', async () => {
    const response = await gateway.fetch('/sandbox/api/status/205', { headers: auth });
    expect(response.status).toBe(205);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(await response.text()).toBe('');
  });

  it.each(['DELETE', 'OPTIONS'])('frames a %s body of unknown length, so it cannot pass for a second request', async (method) => {
    const smuggled = `GET /smuggled HTTP/1.1\r\nHost: upstream\r\nX-Keymint-Account: acct_victim\r\n\r\n`;
    const response = await gateway.fetch('/sandbox/api/framed', {
      method,
      headers: { ...auth, 'x-test-id': `framed-${method}` },
      body: new Blob([smuggled]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.method).toBe(method);
    expect(echo.body).toMatchObject({ text: smuggled });
    // The next call on the kept-alive connection is answered as itself, and nobody asked for /smuggled.
    const next = await gateway.fetch('/sandbox/api/after', { headers: auth });
    expect(((await next.json()) as Echo).url).toBe('/after');
    expect(upstream.seen.map((seen) => seen.url)).not.toContain('/smuggled');
  });

  it('passes redirects through instead of following them, and answers HEAD without a body', async () => {
    const redirect = await gateway.fetch('/sandbox/api/redirect', { headers: auth, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/elsewhere');
    const head = await gateway.fetch('/sandbox/api/status/200', { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-upstream')).toBe('yes');
    expect(await head.text()).toBe('');
    expect(upstream.seen.at(-1)?.method).toBe('HEAD');
  });

  it('hands a compressed upstream body over decoded, without a stale Content-Encoding', async () => {
    const response = await gateway.fetch('/sandbox/api/gzip', { headers: auth });
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(await response.text()).toBe('hello, compressed world');
  });

  it('streams a 12 MiB body up and back down, byte for byte', async () => {
    const payload = randomBytes(12 * MiB);
    const sentHash = createHash('sha256').update(payload).digest('hex');
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= payload.length) return controller.close();
        controller.enqueue(payload.subarray(offset, offset + 256 * 1024));
        offset += 256 * 1024;
      },
    });
    const response = await gateway.fetch('/sandbox/api/stream-echo', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream', 'x-test-id': 'big' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    const received = await readAll(response.body!);
    expect(received).toEqual({ bytes: payload.length, sha256: sentHash });
    const seen = await upstream.request('big');
    expect(seen.body).toMatchObject({ bytes: payload.length, sha256: sentHash });
  });

  it('streams the request body to the upstream before the client has finished sending it', async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    controller.enqueue(new TextEncoder().encode('part one|'));
    const responding = gateway.fetch('/sandbox/api/echo-stream-up', {
      method: 'POST',
      headers: { ...auth, 'x-test-id': 'stream-up' },
      body,
      duplex: 'half',
    } as RequestInit);
    const seen = await within(upstream.request('stream-up'), 5000, 'request reaching the upstream');
    expect((await within(seen.firstChunk, 5000, 'first chunk at the upstream')).toString()).toBe('part one|');
    controller.enqueue(new TextEncoder().encode('part two'));
    controller.close();
    const echo = (await (await responding).json()) as Echo;
    expect(echo.body.text).toBe('part one|part two');
  });

  it('streams the response to the client before the upstream has finished it', async () => {
    const response = await gateway.fetch('/sandbox/api/drip', { headers: { ...auth, 'x-test-id': 'drip' } });
    const reader = response.body!.getReader();
    const first = await within(reader.read(), 5000, 'first response chunk');
    expect(new TextDecoder().decode(first.value)).toBe('first-chunk|');
    (await upstream.request('drip')).release();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('rest');
  });

  it('aborts the upstream request when the client disconnects', async () => {
    const client = new AbortController();
    const pending = gateway.fetch('/sandbox/api/hang', {
      headers: { ...auth, 'x-test-id': 'abandoned' },
      signal: client.signal,
    });
    const seen = await within(upstream.request('abandoned'), 5000, 'request reaching the upstream');
    client.abort();
    await expect(pending).rejects.toThrow();
    await within(seen.closed, 5000, 'upstream socket closing after the client left');
  });

  it('answers 502 with problem JSON when the upstream resets the connection', async () => {
    const response = await gateway.fetch('/sandbox/api/reset', { headers: auth });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 502, code: 'bad_gateway' });
  });

  it('cuts the client connection when the upstream resets in the middle of the body', async () => {
    const response = await gateway.fetch('/sandbox/api/reset-mid-body', { headers: auth });
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
  });
});

describe.each(PATHS)('reverse proxy failures, %s', (_path, serving) => {
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(() => upstream.close());

  async function gatewayWithToken(env: Record<string, string>) {
    const gateway = await startGateway({ env, ...serving });
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    return { gateway, auth: { authorization: `Bearer ${await gateway.mint('sandbox', key)}` } };
  }

  it('answers 504 with problem JSON within the configured timeout when the upstream never answers', async () => {
    const { gateway, auth } = await gatewayWithToken({
      KEYMINT_UPSTREAM_SANDBOX: upstream.url,
      KEYMINT_UPSTREAM_TIMEOUT_MS: '300',
    });
    try {
      const started = Date.now();
      const response = await gateway.fetch('/sandbox/api/hang', { headers: { ...auth, 'x-test-id': 'hung' } });
      const elapsed = Date.now() - started;
      expect(response.status).toBe(504);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 504, code: 'gateway_timeout' });
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(3000);
      // The proxy does not leave the upstream request behind.
      await within((await upstream.request('hung')).closed, 5000, 'upstream socket closing after the timeout');
    } finally {
      await gateway.close();
    }
  });

  it('answers 502 with problem JSON when the upstream is down', async () => {
    const port = await freeClosedPort();
    const { gateway, auth } = await gatewayWithToken({ KEYMINT_UPSTREAM_SANDBOX: `http://127.0.0.1:${port}` });
    try {
      const response = await gateway.fetch('/sandbox/api/anything', { headers: auth });
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 502, code: 'bad_gateway' });
    } finally {
      await gateway.close();
    }
  });

  it('answers 404 with problem JSON for an environment without an upstream', async () => {
    const { gateway, auth } = await gatewayWithToken({ KEYMINT_UPSTREAM_PRODUCTION: upstream.url });
    try {
      for (const path of ['/sandbox/api', '/sandbox/api/orders']) {
        const response = await gateway.fetch(path, { headers: auth });
        expect(response.status).toBe(404);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(await response.json()).toMatchObject({ status: 404, code: 'not_found' });
      }
    } finally {
      await gateway.close();
    }
  });
});
