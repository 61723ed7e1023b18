// A TCP relay in front of a server, for fault tests: cut() drops every connection and refuses new ones until
// restore(); hold() stops relaying bytes without closing anything (a hung server, a partition) until release().
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  host: string;
  port: number;
  /** Drops every relayed connection and refuses new ones (the server seems down). */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  /** Keeps every connection open but relays nothing, either way. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

/** Listens on a free port of `host` and relays every connection to `target`. */
export async function startTcpProxy(target: { host: string; port: number }, host = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let held = false;
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    if (held) for (const socket of [client, upstream]) socket.pause();
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host,
    port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    hold() {
      held = true;
      for (const socket of sockets) socket.pause();
    },
    release() {
      held = false;
      for (const socket of sockets) socket.resume();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
