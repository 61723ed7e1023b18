// The Node HTTP server: the proxy's fast path on node:http in front of the hono app on @hono/node-server.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { KeymintApp } from '../app.js';
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
  if (options.fastPath === false) return { listener: hono, close: () => undefined };
  return createNodeProxyFastPath(app, hono);
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
