import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeUpstreamForwarder, type NodeUpstreamForwarder } from './http-forwarder.js';

const OK = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok';

/**
 * An upstream that answers the first request on its first connection and then drops that connection
 * as the next request arrives on it — the race of an upstream closing an idle keep-alive connection.
 */
async function droppingUpstream() {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    let requests = 0;
    socket.on('data', (chunk) => {
      if (!chunk.toString('latin1').includes('\r\n\r\n')) return;
      requests++;
      if (connection === 1 && requests === 2) socket.destroy();
      else socket.write(OK);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An upstream that answers every request with `head` and `partialBody`, then resets or hangs. */
async function brokenUpstream(then: 'reset' | 'hang') {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"items":[');
      if (then === 'reset') setTimeout(() => socket.resetAndDestroy(), 10);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => sockets.size,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const call = (url: string, method: string, body: string | null = null) => ({
  url,
  method,
  headers: new Headers(body === null ? {} : { 'content-length': String(body.length) }),
  body: body === null ? null : new Blob([body]).stream(),
  signal: new AbortController().signal,
});

describe('createNodeUpstreamForwarder', () => {
  let forwarder: NodeUpstreamForwarder;
  let upstream: { url: string; connections(): number; close(): Promise<void> };
  afterEach(async () => {
    forwarder.close();
    await upstream.close();
  });

  it('sends a GET once more on a new connection when the reused one was closed under it', async () => {
    upstream = await droppingUpstream();
    forwarder = createNodeUpstreamForwarder({ timeoutMs: 2000 });
    const first = await forwarder.forward(call(`${upstream.url}/a`, 'GET'));
    expect(first.ok && (await first.value.text())).toBe('ok');
    const second = await forwarder.forward(call(`${upstream.url}/b`, 'GET'));
    expect(second.ok && second.value.status).toBe(200);
    expect(second.ok && (await second.value.text())).toBe('ok');
    expect(upstream.connections()).toBe(2);
  });

  it('reports a small body that breaks off as unreachable, not as a short answer', async () => {
    upstream = await brokenUpstream('reset');
    forwarder = createNodeUpstreamForwarder({ timeoutMs: 2000 });
    expect(await forwarder.forward(call(`${upstream.url}/a`, 'GET'))).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('reports a small body that stops moving as a timeout', async () => {
    upstream = await brokenUpstream('hang');
    forwarder = createNodeUpstreamForwarder({ timeoutMs: 100 });
    const started = Date.now();
    expect(await forwarder.forward(call(`${upstream.url}/a`, 'GET'))).toMatchObject({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('does not send a request with a body twice: that one fails as unreachable', async () => {
    upstream = await droppingUpstream();
    forwarder = createNodeUpstreamForwarder({ timeoutMs: 2000 });
    const first = await forwarder.forward(call(`${upstream.url}/a`, 'GET'));
    expect(first.ok && (await first.value.text())).toBe('ok');
    const second = await forwarder.forward(call(`${upstream.url}/b`, 'POST', 'payload'));
    expect(second).toMatchObject({ ok: false, reason: 'unreachable' });
    expect(upstream.connections()).toBe(1);
  });
});
