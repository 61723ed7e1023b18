// End to end (SPEC §9): a key created through the admin API reaches a real local receiver as a `key.created`
// event, signed so that the `standardwebhooks` package verifies it exactly as a receiver would, and the delivery
// log shows it delivered.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('webhook deliveries from a Node process', () => {
  let gateway: Gateway;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    gateway = await startGateway({ env: { KEYMINT_WEBHOOKS_ALLOW_PRIVATE: 'true' }, webhookPollMs: 50 });
  });
  afterAll(async () => {
    await gateway.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('sends key.created, verifiable with standardwebhooks, and logs it delivered', async () => {
    const { id: accountId } = await gateway.createAccount('Receiving');
    const created = await gateway.admin('POST', `/accounts/${accountId}/webhooks`, { url: receiverUrl, events: ['key.created'] });
    expect(created.status).toBe(201);
    const webhook = (await created.json()) as { id: string; secret: string };
    const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'announced' });

    await expect.poll(() => received.length, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    const message = received[0]!;
    const headers = {
      'webhook-id': String(message.headers['webhook-id']),
      'webhook-timestamp': String(message.headers['webhook-timestamp']),
      'webhook-signature': String(message.headers['webhook-signature']),
    };
    const event = new Webhook(webhook.secret).verify(message.body, headers) as { type: string; data: { keyId: string; accountId: string } };
    expect(event.type).toBe('key.created');
    expect(event.data).toMatchObject({ keyId: key.id, accountId });
    // Another secret does not verify it: the signature is the webhook's own.
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(message.body, headers)).toThrow();

    await expect
      .poll(
        async () => {
          const log = (await (await gateway.admin('GET', `/accounts/${accountId}/webhooks/${webhook.id}/deliveries`)).json()) as {
            items: Array<{ id: string; status: string; lastStatus: number | null; attempts: number }>;
          };
          return log.items;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toEqual([expect.objectContaining({ id: headers['webhook-id'], status: 'delivered', lastStatus: 204, attempts: 1 })]);
  });
});
