// Webhook deliveries on Workers: the Cron Trigger's `scheduled` handler drains due outbox rows from D1 with fetch,
// signed, retried and logged exactly as the Node worker does (the same core dispatcher; only the sender differs).
// The receiver is a stand-in for fetch; the signatures are checked with `standardwebhooks` as a receiver would.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker, { type WorkerEnv } from '../../src/runtime/worker.js';
import { admin, createAccount, createKey, expectProblem } from './support/worker-client.js';

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
  redirect: RequestInit['redirect'];
}

type Answer = (sent: Sent, signal: AbortSignal | undefined) => Promise<Response>;

/** Every fetch the Worker makes lands here; hosts other than the receiver's (other tests' webhooks) get a 410. */
function receiver(host: string, answer: Answer): Sent[] {
  const sent: Sent[] = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const entry: Sent = {
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
      redirect: init?.redirect,
    };
    if (new URL(request.url).host !== host) return new Response(null, { status: 410 });
    sent.push(entry);
    return answer(entry, init?.signal ?? undefined);
  });
  return sent;
}

/** One Cron Trigger run, as Cloudflare starts it. */
async function runCron(variables: Record<string, unknown> = {}): Promise<void> {
  const workerEnv: WorkerEnv = { DB: env.DB, SESSIONS: env.SESSIONS, KEYMINT_ADMIN_TOKEN: env.KEYMINT_ADMIN_TOKEN, KEYMINT_SECRET_PEPPER: env.KEYMINT_SECRET_PEPPER, KEYMINT_KEK: env.KEYMINT_KEK, ...variables };
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() }), workerEnv, ctx);
  await waitOnExecutionContext(ctx);
}

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

async function deliveries(accountId: string, webhookId: string): Promise<Delivery[]> {
  const response = await admin('GET', `/accounts/${accountId}/webhooks/${webhookId}/deliveries`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Delivery[] }).items;
}

async function addWebhook(host: string, events = ['key.created']): Promise<{ accountId: string; webhook: { id: string; secret: string } }> {
  const { id: accountId } = await createAccount('Hooked on Workers');
  const created = await admin('POST', `/accounts/${accountId}/webhooks`, { url: `https://${host}/keymint`, events });
  expect(created.status).toBe(201);
  return { accountId, webhook: (await created.json()) as { id: string; secret: string } };
}

/** Makes a pending delivery due now, as the clock would after its backoff. */
async function makeDue(deliveryId: string): Promise<void> {
  await env.DB.prepare('update webhook_deliveries set next_attempt_at = ? where id = ?').bind(Date.now() - 1, deliveryId).run();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('webhook deliveries from a Worker (Cron Trigger)', () => {
  it('sends a change\'s event signed so that standardwebhooks verifies it, and logs it delivered', async () => {
    const host = 'ok.receiver.example';
    const sent = receiver(host, async () => new Response(null, { status: 204 }));
    const { accountId, webhook } = await addWebhook(host);
    const key = await createKey(accountId, { environment: 'sandbox' });
    // Queued in D1 with the change, sent by nobody until the cron runs.
    expect(await deliveries(accountId, webhook.id)).toEqual([expect.objectContaining({ status: 'pending', attempts: 0 })]);

    await runCron();
    expect(sent).toHaveLength(1);
    const message = sent[0]!;
    expect(message.url).toBe(`https://${host}/keymint`);
    expect(message.redirect).toBe('manual');
    expect(message.headers['content-type']).toBe('application/json');
    const event = new Webhook(webhook.secret).verify(message.body, message.headers) as { type: string; data: { keyId: string } };
    expect(event).toMatchObject({ type: 'key.created', data: { keyId: key.id } });
    expect(await deliveries(accountId, webhook.id)).toEqual([
      expect.objectContaining({ id: message.headers['webhook-id'], status: 'delivered', attempts: 1, lastStatus: 204 }),
    ]);

    // Delivered once: the next run sends nothing again.
    await runCron();
    expect(sent).toHaveLength(1);
  });

  it('retries on the Standard Webhooks schedule under the same webhook-id, each attempt signed afresh', async () => {
    const host = 'flaky.receiver.example';
    const statuses = [500, 204];
    const sent = receiver(host, async () => {
      const status = statuses.shift()!;
      return new Response(status === 204 ? null : 'oops', { status });
    });
    const { accountId, webhook } = await addWebhook(host);
    await createKey(accountId, { environment: 'sandbox' });

    const before = Date.now();
    await runCron();
    const [failed] = await deliveries(accountId, webhook.id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    // The first retry waits 5 s (±10 %): a run before then leaves it alone.
    const wait = Date.parse(failed!.nextAttemptAt!) - before;
    expect(wait).toBeGreaterThanOrEqual(4_000);
    expect(wait).toBeLessThan(6_000 + (Date.now() - before));
    await runCron();
    expect(sent).toHaveLength(1);

    await makeDue(failed!.id);
    await runCron();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.headers['webhook-id']).toBe(sent[0]!.headers['webhook-id']);
    expect(sent[1]!.body).toBe(sent[0]!.body);
    const verifier = new Webhook(webhook.secret);
    for (const message of sent) expect(() => verifier.verify(message.body, message.headers)).not.toThrow();
    expect(await deliveries(accountId, webhook.id)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2, lastStatus: 204 })]);
  });

  it('takes a redirect as the answer, and gives up on a receiver that never answers at the deadline', async () => {
    const host = 'hostile.receiver.example';
    let calls = 0;
    receiver(host, (_, signal) => {
      calls++;
      if (calls === 1) return Promise.resolve(new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }));
      // Never answers; only the attempt's deadline ends it.
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    });
    const { accountId, webhook } = await addWebhook(host);
    await createKey(accountId, { environment: 'sandbox' });

    await runCron();
    const [redirected] = await deliveries(accountId, webhook.id);
    expect(redirected).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 302, lastError: 'redirects are not followed' });

    await makeDue(redirected!.id);
    const started = Date.now();
    await runCron({ KEYMINT_WEBHOOK_TIMEOUT_MS: '200' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await deliveries(accountId, webhook.id)).toEqual([
      expect.objectContaining({ status: 'pending', attempts: 2, lastStatus: null, lastError: 'no answer within 200 ms' }),
    ]);
    expect(calls).toBe(2);
  });

  it('refuses private address literals when a webhook is added; a name goes to fetch unresolved', async () => {
    const { id: accountId } = await createAccount('SSRF on Workers');
    for (const url of ['https://127.0.0.1/hook', 'http://169.254.169.254/', 'http://[::ffff:10.0.0.1]/', 'http://api.localhost./']) {
      const problem = await expectProblem(await admin('POST', `/accounts/${accountId}/webhooks`, { url }), 400, 'invalid_request');
      expect(problem.detail).toMatch(/KEYMINT_WEBHOOKS_ALLOW_PRIVATE/);
    }
    // A Worker cannot resolve a name itself: the name is accepted and fetch (Cloudflare's network) decides what it reaches.
    expect((await admin('POST', `/accounts/${accountId}/webhooks`, { url: 'https://internal.corp.example/hook' })).status).toBe(201);
  });
});
