// The fetch webhook sender (the Worker's) against real loopback sockets.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchWebhookSender } from './webhook-fetch-sender.js';

let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.url!);
    if (request.url === '/redirect') return response.writeHead(302, { location: '/elsewhere' }).end();
    if (request.url === '/silent') return;
    response.writeHead(202).end('accepted');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, admitAddress: (address: string) => boolean = () => true, timeoutMs = 5000) =>
  createFetchWebhookSender().post({ url: `${base}${path}`, headers: { 'webhook-id': 'msg_1' }, body: '{}', admitAddress, timeoutMs });

describe('the fetch webhook sender', () => {
  it('reports the status, does not follow redirects, and gives up at its deadline', async () => {
    expect(await post('/hook')).toEqual({ outcome: 'answered', status: 202 });
    expect(await post('/redirect')).toEqual({ outcome: 'answered', status: 302 });
    expect(await post('/silent', undefined, 200)).toEqual({ outcome: 'timeout' });
    expect(seen).not.toContain('/elsewhere');
  });

  it('refuses an address literal it may not reach, sending nothing', async () => {
    const before = seen.length;
    expect(await post('/hook', () => false)).toEqual({ outcome: 'refused', address: '127.0.0.1' });
    expect(seen).toHaveLength(before);
  });

  it('cannot resolve names itself', async () => {
    expect(await createFetchWebhookSender().resolve('example.com')).toBeNull();
  });
});
