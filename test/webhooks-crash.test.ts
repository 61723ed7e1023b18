// SIGKILL and webhooks (SPEC §9: "a crash loses none"): a real keymint process queues deliveries for its changes and
// is killed before they are delivered — some still in the outbox, some mid-delivery (the receiver has the request but
// the process dies before recording the answer). Started again on the same database, it delivers every change's
// event at least once, a retried one under the same `webhook-id`, each signed as `standardwebhooks` verifies.
// On the SQLite file and on PostgreSQL alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { redisUrl } from './support/gateway.js';
import { startKeymintProcess, type KeymintProcess } from './support/keymint-process.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';
import { freePort } from './support/redis-server.js';

const ROOT = `root_${randomBase62(40)}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the receiver answered it (204) or held it without a word. */
  answered: boolean;
}

/** A receiver that logs every request; while `answering` is false it keeps each one open without a word. */
async function startReceiver(): Promise<{ server: Server; url: string; log: Received[]; answering: boolean; held: ServerResponse[] }> {
  const state = { log: [] as Received[], answering: false, held: [] as ServerResponse[] };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.log.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered: state.answering });
      if (state.answering) response.writeHead(204).end();
      else state.held.push(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
  return Object.assign(state, { server, url });
}

interface Backend {
  name: string;
  available: boolean;
  /** The variables that put the gateway on this database (the SQLite file in the process's directory by default). */
  env(): Promise<Record<string, string>>;
}

const backends: Backend[] = [
  { name: 'SQLite', available: true, env: async () => ({}) },
  {
    name: 'PostgreSQL',
    available: postgresUrl() !== null && redisUrl() !== null,
    env: async () => ({
      KEYMINT_DATABASE: await createTestDatabase(),
      KEYMINT_SECRET_PEPPER: `pepper_${randomBase62(40)}`,
      REDIS_URL: redisUrl()!,
      KEYMINT_REDIS_PREFIX: `k${randomBase62(8)}`,
    }),
  },
];

for (const backend of backends) describe.skipIf(!backend.available)(`webhook deliveries on ${backend.name} when the process is killed with SIGKILL`, () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-webhook-crash-'));
  const processes: KeymintProcess[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterAll(async () => {
    for (const started of processes) started.child.kill('SIGKILL');
    receiver?.server.closeAllConnections();
    await new Promise((resolve) => receiver?.server.close(resolve));
    rmSync(directory, { recursive: true, force: true });
  });

  it('delivers every queued and every cut-off delivery after a restart, a retried one under the same webhook-id', { timeout: 120_000 }, async () => {
    receiver = await startReceiver();
    const port = await freePort();
    // A 1 s deadline per attempt makes the lease of a delivery cut off mid-attempt end 32 s later (2 × 1 s + 30 s).
    const env = { KEYMINT_ADMIN_TOKEN: ROOT, KEYMINT_WEBHOOKS_ALLOW_PRIVATE: 'true', KEYMINT_WEBHOOK_TIMEOUT_MS: '1000', ...(await backend.env()) };
    const start = async () => {
      const started = await startKeymintProcess({ directory, port, env });
      processes.push(started);
      return started;
    };
    const admin = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${port}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ROOT}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.status === 204 ? null : ((await response.json()) as Record<string, unknown>);
    };

    const first = await start();
    const accountId = (await admin('POST', '/accounts', { name: 'Crashing' }))!.id as string;
    const webhook = (await admin('POST', `/accounts/${accountId}/webhooks`, { url: receiver.url })) as { id: string; secret: string };
    const createKey = async (name: string) => (await admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name }))!.id as string;

    // Changes whose deliveries reach the receiver, which holds them without an answer…
    const early = await createKey('early');
    await admin('POST', `/accounts/${accountId}/keys/${early}/regenerate`);
    await expect.poll(() => receiver!.log.length, { timeout: 10_000, interval: 10 }).toBeGreaterThanOrEqual(1);
    // …and, while those attempts are under way, changes whose deliveries wait in the outbox.
    const late = await createKey('late');
    await admin('POST', `/accounts/${accountId}/keys/${late}/disable`);
    await admin('DELETE', `/accounts/${accountId}/keys/${early}`);
    const cutOff = new Set(receiver.log.map((request) => String(request.headers['webhook-id'])));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(cutOff.size).toBeGreaterThanOrEqual(1);
    for (const held of receiver.held) held.destroy();
    receiver.answering = true;

    const second = await start();
    // Every change of the account from the webhook's own creation on, from its audit log.
    const operations = ((await admin('GET', `/accounts/${accountId}/operations?limit=100`))!.items as Array<{ id: string; action: string }>)
      .filter((operation) => operation.action !== 'account.created');
    expect(operations.map((operation) => operation.action).sort()).toEqual(
      ['key.created', 'key.created', 'key.deleted', 'key.disabled', 'key.regenerated', 'webhook.created'],
    );

    const verifier = new Webhook(webhook.secret);
    const events = () =>
      receiver!.log.map((request) => {
        const headers = {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        };
        // Throws unless the signature is the webhook's own over these very bytes.
        const event = verifier.verify(request.body, headers) as { type: string; data: { id: string } };
        return { webhookId: headers['webhook-id'], type: event.type, operationId: event.data.id, answered: request.answered };
      });
    const delivered = () => new Set(events().filter((event) => event.answered).map((event) => event.operationId));
    // The queued ones go at once; the cut-off ones when their lease ends (32 s after they were claimed).
    await expect
      .poll(() => operations.every((operation) => delivered().has(operation.id)), { timeout: 60_000, interval: 200 })
      .toBe(true);

    const all = events();
    // One event per change, none invented: duplicates only under one webhook-id, each id always the same change.
    expect(new Set(all.map((event) => event.operationId))).toEqual(new Set(operations.map((operation) => operation.id)));
    const changeOf = new Map<string, string>();
    for (const event of all) {
      expect(changeOf.get(event.webhookId) ?? event.operationId).toBe(event.operationId);
      changeOf.set(event.webhookId, event.operationId);
    }
    expect(changeOf.size).toBe(operations.length);
    // A delivery the receiver had when the process died came again, under the same webhook-id.
    for (const id of cutOff) {
      expect(all.filter((event) => event.webhookId === id).map((event) => event.answered)).toEqual([false, true]);
    }

    // And the delivery log agrees: each delivered, none left pending.
    await expect
      .poll(async () => {
        const log = (await admin('GET', `/accounts/${accountId}/webhooks/${webhook.id}/deliveries?limit=100`))!.items as Array<{ id: string; status: string }>;
        return log.filter((delivery) => changeOf.has(delivery.id)).map((delivery) => delivery.status);
      }, { timeout: 10_000, interval: 100 })
      .toEqual(operations.map(() => 'delivered'));
    await second.stop();
  });
});
