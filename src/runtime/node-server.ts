// The Node HTTP server: the proxy's fast path on node:http in front of the hono app on @hono/node-server.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { KeymintApp } from '../app.js';
import { ApiProblem } from '../http/errors/api-problem.js';
import { createNodeProxyFastPath } from './node-proxy-fast-path.js';

export interface NodeRequestListener {
  listener: RequestListener;
  /** Closes what the listener keeps open (idle upstream connections). */
  close(): void;
}

/**
 * How a Node process serves the app. `fastPath: false` sends every request through app.fetch, as the Worker
 * does (the tests run the proxy suites both ways).
 */
export function createNodeRequestListener(app: KeymintApp, options: { fastPath?: boolean } = {}): NodeRequestListener {
  const hono = getRequestListener(app.fetch);
  const serving = options.fastPath === false ? { listener: hono, close: () => undefined } : createNodeProxyFastPath(app, hono);
  return { listener: oneHostOnly(serving.listener), close: serving.close };
}

/**
 * RFC 9112 §3.2: a request with more than one Host is answered 400. Node's parser accepts it and joins the
 * values ("a, b"), which reached upstreams as X-Forwarded-Host and Forwarded `host=`, where a proxy in front
 * may have routed on the other one.
 */
function oneHostOnly(listener: RequestListener): RequestListener {
  return function oneHostOnly(request, response) {
    let hosts = 0;
    for (let index = 0; index < request.rawHeaders.length; index += 2) {
      if (request.rawHeaders[index]!.toLowerCase() === 'host') hosts++;
    }
    if (hosts <= 1) return listener(request, response);
    const problem = new ApiProblem(400, 'invalid_request', 'the request has more than one Host header').toResponse();
    void problem.text().then((body) => {
      response.writeHead(problem.status, { ...Object.fromEntries(problem.headers), 'Content-Length': Buffer.byteLength(body) }).end(body);
    });
  };
}

/** Listens on `port` (every interface, as @hono/node-server's serve does); `onListening` gets the bound port. */
export function serveNode(app: KeymintApp, port: number, onListening: (port: number) => void): { server: Server; close(done: () => void): void } {
  const { listener, close } = createNodeRequestListener(app);
  const server = createServer(listener);
  server.listen(port, () => onListening((server.address() as AddressInfo).port));
  return {
    server,
    close(done) {
      server.close(() => {
        close();
        done();
      });
    },
  };
}
