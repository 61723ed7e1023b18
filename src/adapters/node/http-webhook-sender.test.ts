// The Node webhook sender against real sockets: what reaches a receiver, and what never does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpWebhookSender } from './http-webhook-sender.js';

interface Receiver {
  url: string;
  port: number;
  received: Array<{ headers: IncomingMessage['headers']; body: string }>;
  /** Connections accepted, whether or not a request came over them. */
  connections: number;
  server: Server;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function startReceiver(answer: (request: IncomingMessage, response: ServerResponse) => void = (_, response) => response.writeHead(204).end()): Promise<Receiver> {
  const receiver = { received: [], connections: 0 } as unknown as Receiver;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      receiver.received.push({ headers: request.headers, body });
      answer(request, response);
    });
  });
  server.on('connection', () => receiver.connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  receiver.server = server;
  return receiver;
}

const sign = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1800000000', 'webhook-signature': 'v1,abc=' };
const anyAddress = () => true;
const noLoopback = (address: string) => !address.startsWith('127.') && address !== '::1';

describe('the node:http webhook sender', () => {
  it('POSTs the body and the signature headers as JSON, and reports the status', async () => {
    const receiver = await startReceiver();
    const sender = createHttpWebhookSender();
    const result = await sender.post({ url: receiver.url, headers: sign, body: '{"type":"key.created"}', admitAddress: anyAddress, timeoutMs: 5000 });
    expect(result).toEqual({ outcome: 'answered', status: 204 });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.body).toBe('{"type":"key.created"}');
    expect(receiver.received[0]!.headers).toMatchObject({ ...sign, 'content-type': 'application/json', 'user-agent': 'keymint-webhooks/1' });
  });

  it('refuses an address literal before connecting', async () => {
    const receiver = await startReceiver();
    const result = await createHttpWebhookSender().post({ url: receiver.url, headers: sign, body: '{}', admitAddress: noLoopback, timeoutMs: 5000 });
    expect(result).toEqual({ outcome: 'refused', address: '127.0.0.1' });
    expect(receiver.connections).toBe(0);
  });

  it('refuses a name that resolves to a refused address, checking the address it would connect to (DNS rebinding)', async () => {
    const receiver = await startReceiver();
    // The name resolved to a public address when the webhook was created; now it answers loopback.
    const answers = [[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
    const sender = createHttpWebhookSender({ resolveAll: async () => answers.shift()! });
    expect(await sender.resolve('rebind.example')).toEqual(['93.184.216.34']);
    const url = `http://rebind.example:${receiver.port}/hook`;
    expect(await sender.post({ url, headers: sign, body: '{}', admitAddress: noLoopback, timeoutMs: 5000 })).toEqual({
      outcome: 'refused',
      address: '127.0.0.1',
    });
    expect(receiver.connections).toBe(0);
  });

  it('connects to exactly the address its look-up returned (no second resolution)', async () => {
    const receiver = await startReceiver();
    const sender = createHttpWebhookSender({ resolveAll: async () => [{ address: '127.0.0.1', family: 4 }] });
    const result = await sender.post({ url: `http://hooks.invalid:${receiver.port}/hook`, headers: sign, body: '{}', admitAddress: anyAddress, timeoutMs: 5000 });
    expect(result).toEqual({ outcome: 'answered', status: 204 });
    expect(receiver.received[0]!.headers.host).toBe(`hooks.invalid:${receiver.port}`);
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    const receiver = await startReceiver();
    const sender = createHttpWebhookSender({
      resolveAll: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
    });
    const admit = (address: string) => !address.startsWith('10.');
    expect(await sender.post({ url: `http://mixed.example:${receiver.port}/`, headers: sign, body: '{}', admitAddress: admit, timeoutMs: 5000 })).toEqual({
      outcome: 'refused',
      address: '10.0.0.7',
    });
  });

  it('checks the connected address again before writing a byte', async () => {
    const receiver = await startReceiver();
    // Admitted while resolving, refused once connected: nothing may be sent.
    let asked = 0;
    const sender = createHttpWebhookSender({ resolveAll: async () => [{ address: '127.0.0.1', family: 4 }] });
    const result = await sender.post({ url: `http://once.example:${receiver.port}/`, headers: sign, body: '{}', admitAddress: () => asked++ === 0, timeoutMs: 5000 });
    expect(result).toEqual({ outcome: 'refused', address: '127.0.0.1' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.received).toHaveLength(0);
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const elsewhere = await startReceiver();
    const receiver = await startReceiver((_, response) => response.writeHead(307, { location: elsewhere.url }).end());
    const result = await createHttpWebhookSender().post({ url: receiver.url, headers: sign, body: '{}', admitAddress: anyAddress, timeoutMs: 5000 });
    expect(result).toEqual({ outcome: 'answered', status: 307 });
    expect(elsewhere.connections).toBe(0);
  });

  it('takes the status of a huge answer without reading its body', async () => {
    let written = 0;
    let closedEarly = false;
    const receiver = await startReceiver((_, response) => {
      response.writeHead(200, { 'content-length': String(1024 ** 3) });
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = () => {
        while (written < 1024 ** 3) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => (closedEarly = written < 1024 ** 3));
      pump();
    });
    const result = await createHttpWebhookSender().post({ url: receiver.url, headers: sign, body: '{}', admitAddress: anyAddress, timeoutMs: 5000 });
    expect(result).toEqual({ outcome: 'answered', status: 200 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closedEarly).toBe(true);
    expect(written).toBeLessThan(64 * 1024 ** 2);
  });

  it('gives up on a receiver that answers too slowly or never', async () => {
    const slow = await startReceiver((_, response) => void setTimeout(() => response.writeHead(200).end(), 3000).unref());
    const silent = await startReceiver(() => {});
    const sender = createHttpWebhookSender();
    const [fromSlow, fromSilent] = await Promise.all([
      sender.post({ url: slow.url, headers: sign, body: '{}', admitAddress: anyAddress, timeoutMs: 300 }),
      sender.post({ url: silent.url, headers: sign, body: '{}', admitAddress: anyAddress, timeoutMs: 300 }),
    ]);
    expect(fromSlow).toEqual({ outcome: 'timeout' });
    expect(fromSilent).toEqual({ outcome: 'timeout' });
  });

  it('reports a closed port and an unknown host as unreachable', async () => {
    const receiver = await startReceiver();
    const port = receiver.port;
    receiver.server.close();
    servers.splice(servers.indexOf(receiver.server), 1);
    const sender = createHttpWebhookSender();
    const closed = await sender.post({ url: `http://127.0.0.1:${port}/`, headers: sign, body: '{}', admitAddress: anyAddress, timeoutMs: 5000 });
    expect(closed).toMatchObject({ outcome: 'unreachable', error: expect.stringContaining('ECONNREFUSED') });
    const unknown = await sender.post({ url: 'http://no-such-host.invalid/', headers: sign, body: '{}', admitAddress: anyAddress, timeoutMs: 5000 });
    expect(unknown).toMatchObject({ outcome: 'unreachable', error: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) });
    await expect(sender.resolve('no-such-host.invalid')).rejects.toThrow();
  });
});
