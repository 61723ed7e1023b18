// An HTTP front for gateway nodes, as a load balancer is: each request goes to the other node than the last one did,
// headers and bodies relayed as they came (the client's Host and X-Forwarded-For too), so a suite run through it
// proves any node answers any request the same way (SPEC §6).
import { Agent, createServer, request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

export interface AlternatingFront {
  /** http://127.0.0.1:<port>: the one address clients use (the nodes' KEYMINT_PUBLIC_URL). */
  url: string;
  /** How many requests each node was sent, in node order. */
  sent: number[];
  close(): Promise<void>;
}

export interface AlternatingFrontOptions {
  /** The nodes' loopback ports, asked for on the first request (the front listens before the nodes start). */
  nodePorts(): number[];
  /** Awaited before a request is relayed to node `index` (a test keeps the node's clock with its own). */
  beforeRelay?(index: number): Promise<void>;
}

// Per hop: each side of the front frames its own connection.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function endToEndHeaders(message: IncomingMessage): string[] {
  const headers: string[] = [];
  for (let i = 0; i < message.rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.has(message.rawHeaders[i]!.toLowerCase())) headers.push(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
  }
  return headers;
}

export async function startAlternatingFront(options: AlternatingFrontOptions): Promise<AlternatingFront> {
  const agent = new Agent({ keepAlive: true });
  const sent: number[] = [];
  let next = 0;
  const server = createServer(async (incoming, outgoing) => {
    const ports = options.nodePorts();
    const index = next;
    next = (next + 1) % ports.length;
    sent[index] = (sent[index] ?? 0) + 1;
    const fail = (error: Error) => {
      if (outgoing.headersSent) outgoing.destroy(error);
      else outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`alternating front: node ${index}: ${error.message}`);
    };
    try {
      await options.beforeRelay?.(index);
    } catch (error) {
      fail(error as Error);
      return;
    }
    const relayed = request(
      { host: '127.0.0.1', port: ports[index], method: incoming.method, path: incoming.url, headers: endToEndHeaders(incoming) as unknown as OutgoingHttpHeaders, agent },
      (answer) => {
        outgoing.writeHead(answer.statusCode!, answer.statusMessage, endToEndHeaders(answer));
        answer.pipe(outgoing);
      },
    );
    relayed.on('error', fail);
    incoming.pipe(relayed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
