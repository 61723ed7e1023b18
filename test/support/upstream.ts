// A real upstream HTTP server (node:http, loopback, port 0) for proxy tests: echoes, streams, hangs and resets.
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

/** What the upstream saw of one request. */
export interface SeenRequest {
  id: string | undefined;
  method: string;
  /** Path and query exactly as they arrived on the wire. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Header names as sent, in order (to catch duplicates the parsed form would merge). */
  headerNames: string[];
  /** Set once the body has been read to its end. */
  body?: { bytes: number; sha256: string; text: string };
  /** Resolves when the upstream's socket for this request closes (the proxy gave up on it, or finished). */
  closed: Promise<void>;
  /** Resolves with the first body chunk the upstream receives. */
  firstChunk: Promise<Buffer>;
  /** For `/drip`: lets the upstream finish its response. */
  release(): void;
}

export interface Upstream {
  url: string;
  /** Every request so far, in arrival order. */
  seen: SeenRequest[];
  /** Resolves with the request that carries `X-Test-Id: id`, once it has arrived. */
  request(id: string): Promise<SeenRequest>;
  close(): Promise<void>;
}

/** The JSON the echo routes answer with. */
export interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  headerNames: string[];
  body: { bytes: number; sha256: string; text: string };
}

interface Tracked extends SeenRequest {
  released: Promise<void>;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * Routes (by path, anything else echoes):
 * - `/stream-echo`: streams the request body straight back as it arrives, hashing it.
 * - `/drip`: answers `first-chunk|` at once, the rest only after `release()`.
 * - `/hang`: never answers.  `/reset`: destroys the socket without answering.
 * - `/reset-mid-body`: sends headers and part of a body, then destroys the socket.
 * - `/status/<code>`: that status with a few custom, duplicated and hop-by-hop headers.
 * - `/redirect`: 302 to `/elsewhere`.  `/gzip`: a gzip-encoded text body.
 * It listens on `host` (loopback unless a test's gateways run on other hosts).
 */
export async function startUpstream(host = '127.0.0.1'): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const waiting = new Map<string, (request: SeenRequest) => void>();
  const sockets = new Set<Socket>();
  // One listener per socket, however many keep-alive requests it carries.
  const socketClosed = new WeakMap<Socket, Promise<void>>();
  function whenClosed(socket: Socket): Promise<void> {
    let closed = socketClosed.get(socket);
    if (!closed) {
      closed = new Promise((resolve) => socket.once('close', () => resolve()));
      socketClosed.set(socket, closed);
    }
    return closed;
  }

  function record(req: IncomingMessage): Tracked {
    const firstChunk = deferred<Buffer>();
    const released = deferred<void>();
    req.once('data', (chunk: Buffer) => firstChunk.resolve(chunk));
    const entry: Tracked = {
      id: typeof req.headers['x-test-id'] === 'string' ? req.headers['x-test-id'] : undefined,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      headerNames: req.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase()),
      closed: whenClosed(req.socket),
      firstChunk: firstChunk.promise,
      release: () => released.resolve(),
      released: released.promise,
    };
    seen.push(entry);
    if (entry.id) waiting.get(entry.id)?.(entry);
    return entry;
  }

  function hashBody(req: IncomingMessage, entry: SeenRequest, onChunk?: (chunk: Buffer) => void): Promise<void> {
    const hash = createHash('sha256');
    let bytes = 0;
    const head: Buffer[] = [];
    return new Promise((resolve, reject) => {
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        if (bytes <= 64 * 1024) head.push(chunk);
        onChunk?.(chunk);
      });
      req.on('end', () => {
        const text = bytes <= 64 * 1024 ? Buffer.concat(head).toString('utf8') : '';
        entry.body = { bytes, sha256: hash.digest('hex'), text };
        resolve();
      });
      req.on('error', reject);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const entry = record(req);
    const path = (req.url ?? '/').split('?')[0]!;
    switch (true) {
      case path === '/hang':
        return;
      case path === '/reset':
        req.socket.destroy();
        return;
      case path === '/reset-mid-body':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000000' });
        res.write(Buffer.alloc(1000, 1), () => setTimeout(() => req.socket.destroy(), 20));
        return;
      case path === '/stream-echo': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        await hashBody(req, entry, (chunk) => res.write(chunk));
        res.end();
        return;
      }
      case path === '/drip':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first-chunk|');
        await entry.released;
        res.end('rest');
        return;
      case path.startsWith('/status/'): {
        await hashBody(req, entry);
        res.writeHead(Number(path.slice('/status/'.length)), [
          ['Content-Type', 'text/plain'],
          ['X-Upstream', 'yes'],
          ['Set-Cookie', 'a=1; Path=/'],
          ['Set-Cookie', 'b=2; Path=/'],
          ['Cache-Control', 'private, max-age=7'],
          ['Connection', 'keep-alive, X-Hop-Secret'],
          ['X-Hop-Secret', 'dropped'],
          ['Keep-Alive', 'timeout=5'],
          ['Proxy-Authenticate', 'Basic'],
        ]);
        res.end(`status ${path.slice('/status/'.length)}`);
        return;
      }
      case path === '/redirect':
        await hashBody(req, entry);
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
        return;
      case path === '/gzip':
        await hashBody(req, entry);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        res.end(gzipSync('hello, compressed world'));
        return;
      default: {
        await hashBody(req, entry);
        const echo: Echo = {
          method: entry.method,
          url: entry.url,
          headers: entry.headers,
          headerNames: entry.headerNames,
          body: entry.body!,
        };
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'true' });
        res.end(JSON.stringify(echo));
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    seen,
    request(id) {
      const arrived = seen.find((entry) => entry.id === id);
      if (arrived) return Promise.resolve(arrived);
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP/1.1 request through node:http, which (unlike fetch) may send any header, hop-by-hop ones included. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
