// The delivery worker's core over a stand-in outbox (the real ones are tested in test/webhooks.test.ts) and a
// recording sender: what is signed and sent, when it is retried, when it gives up, and that a lease holds.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { WebhookPost, WebhookPostResult, WebhookSender } from '../ports/webhook-sender.js';
import type { ClaimedDelivery, DeliveryAttempt, WebhookDeliveryRecord, WebhookRecord } from '../ports/webhook-store.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import { createSealer } from './sealing.js';
import { createWebhookDispatcher, startWebhookWorker } from './webhook-dispatcher.js';
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_MS } from './webhook-schedule.js';
import { generateWebhookSecret } from './webhook-signing.js';
import { silentLogger } from '../ports/runtime.js';


/** The outbox's promises, in a few lines: due deliveries are leased to one claimer, attempts recorded on pending ones. */
function stubOutbox(webhook: WebhookRecord) {
  const deliveries: WebhookDeliveryRecord[] = [];
  const attempts: Array<{ id: string; attempt: DeliveryAttempt }> = [];
  return {
    deliveries,
    attempts,
    add(id: string, payload: string, at: number) {
      deliveries.push({
        id, webhookId: webhook.id, accountId: webhook.accountId, eventType: 'key.created', payload, createdAt: at,
        status: 'pending', attempts: 0, nextAttemptAt: at, lastAttemptAt: null, lastStatus: null, lastError: null, deliveredAt: null,
      });
    },
    async claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
      const due = deliveries.filter((d) => d.status === 'pending' && d.nextAttemptAt <= now).slice(0, limit);
      for (const d of due) d.nextAttemptAt = now + leaseMs;
      return due.map((d) => ({ delivery: { ...d }, webhook }));
    },
    async recordDeliveryAttempt(id: string, attempt: DeliveryAttempt) {
      const d = deliveries.find((x) => x.id === id && x.status === 'pending');
      if (!d) return false;
      attempts.push({ id, attempt });
      d.attempts++;
      d.lastAttemptAt = attempt.at;
      d.lastStatus = attempt.status;
      if (attempt.outcome === 'delivered') Object.assign(d, { status: 'delivered', deliveredAt: attempt.at });
      else if (attempt.outcome === 'failed') Object.assign(d, { status: 'failed', lastError: attempt.error });
      else Object.assign(d, { nextAttemptAt: attempt.nextAttemptAt, lastError: attempt.error });
      return true;
    },
  };
}

function recordingSender(answer: (post: WebhookPost) => WebhookPostResult | Promise<WebhookPostResult>) {
  const posts: WebhookPost[] = [];
  const sender: WebhookSender = {
    async post(request) {
      posts.push(request);
      return answer(request);
    },
    resolve: async () => null,
  };
  return { posts, sender };
}

async function setUp(answer: (post: WebhookPost) => WebhookPostResult | Promise<WebhookPostResult>, options: { url?: string; allowPrivate?: boolean } = {}) {
  const secret = generateWebhookSecret();
  const kek = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const sealer = await createSealer(kek);
  const webhook: WebhookRecord = {
    id: 'wh_1', accountId: 'acct_1', url: options.url ?? 'https://hooks.example.com/in', events: null,
    secret: await sealer.seal(secret), createdAt: 0,
  };
  // The real time (in whole seconds), so a receiver's replay window accepts what is signed.
  let now = Math.floor(Date.now() / 1000) * 1000;
  const clock = { now: () => now };
  const outbox = stubOutbox(webhook);
  const { posts, sender } = recordingSender(answer);
  const dispatcher = createWebhookDispatcher({
    store: outbox, sender, sealer, clock, logger: silentLogger, allowPrivate: options.allowPrivate ?? false, timeoutMs: 5000, random: () => 0.5,
  });
  return { secret, outbox, posts, dispatcher, clock, advance: (ms: number) => (now += ms), at: () => now };
}

describe('the webhook dispatcher', () => {
  it('sends each due delivery signed as Standard Webhooks asks, with the sealed secret opened, and records it delivered on a 2xx', async () => {
    const { secret, outbox, posts, dispatcher, at } = await setUp(() => ({ outcome: 'answered', status: 204 }));
    const body = JSON.stringify({ type: 'key.created', timestamp: '2027-01-15T08:00:00.000Z', data: { id: 'op_1' } });
    outbox.add('msg_1_1', body, at());
    expect(await dispatcher.deliverDue()).toBe(1);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('https://hooks.example.com/in');
    expect(posts[0]!.body).toBe(body);
    expect(posts[0]!.headers['webhook-id']).toBe('msg_1_1');
    expect(posts[0]!.headers['webhook-timestamp']).toBe(String(at() / 1000));
    // Exactly as a receiver checks it.
    expect(new Webhook(secret).verify(body, posts[0]!.headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, posts[0]!.headers)).toThrow();
    expect(outbox.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1, deliveredAt: at() });
    // Nothing is due any more.
    expect(await dispatcher.deliverDue()).toBe(0);
    expect(posts).toHaveLength(1);
  });

  it('asks the sender to refuse private addresses unless they are allowed', async () => {
    const strict = await setUp(() => ({ outcome: 'answered', status: 200 }));
    strict.outbox.add('msg_a', '{}', strict.at());
    await strict.dispatcher.deliverDue();
    const admit = strict.posts[0]!.admitAddress;
    expect(['127.0.0.1', '10.0.0.8', '::1', '::ffff:127.0.0.1', '169.254.169.254', '100.64.0.1'].map(admit)).toEqual([false, false, false, false, false, false]);
    expect(admit('93.184.216.34')).toBe(true);

    const open = await setUp(() => ({ outcome: 'answered', status: 200 }), { allowPrivate: true });
    open.outbox.add('msg_b', '{}', open.at());
    await open.dispatcher.deliverDue();
    expect(open.posts[0]!.admitAddress('127.0.0.1')).toBe(true);
  });

  it('does not send to a URL that is no longer allowed (a loopback literal after private addresses were turned off)', async () => {
    const { outbox, posts, dispatcher } = await setUp(() => ({ outcome: 'answered', status: 200 }), { url: 'http://127.0.0.1:9/in' });
    outbox.add('msg_1', '{}', 0);
    await dispatcher.deliverDue();
    expect(posts).toHaveLength(0);
    expect(outbox.deliveries[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null });
    expect(outbox.deliveries[0]!.lastError).toMatch(/loopback/);
  });

  it('retries on the schedule (5 s, 5 min, …) with a new signature each time, then gives up after the last attempt', async () => {
    const { outbox, posts, dispatcher, advance, at } = await setUp(() => ({ outcome: 'answered', status: 503 }));
    outbox.add('msg_1', '{"type":"key.deleted"}', at());
    expect(await dispatcher.deliverDue()).toBe(1);
    for (const delay of WEBHOOK_RETRY_DELAYS_MS) {
      expect(outbox.deliveries[0]).toMatchObject({ status: 'pending', lastStatus: 503, nextAttemptAt: at() + delay });
      // Not a moment early…
      advance(delay - 1);
      expect(await dispatcher.deliverDue()).toBe(0);
      // …and due on time.
      advance(1);
      expect(await dispatcher.deliverDue()).toBe(1);
    }
    expect(posts).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
    expect(new Set(posts.map((p) => p.headers['webhook-signature'])).size).toBe(WEBHOOK_MAX_ATTEMPTS);
    expect(new Set(posts.map((p) => p.headers['webhook-id']))).toEqual(new Set(['msg_1']));
    expect(outbox.deliveries[0]).toMatchObject({ status: 'failed', attempts: WEBHOOK_MAX_ATTEMPTS, lastStatus: 503 });
    // The attempts span more than a day.
    expect(outbox.attempts.at(-1)!.attempt.at - outbox.attempts[0]!.attempt.at).toBeGreaterThanOrEqual(24 * 3_600_000);
    advance(365 * 24 * 3_600_000);
    expect(await dispatcher.deliverDue()).toBe(0);
  });

  it('words what went wrong in the delivery log: a redirect, a timeout, an unreachable host, a refused address', async () => {
    const answers: WebhookPostResult[] = [
      { outcome: 'answered', status: 302 },
      { outcome: 'timeout' },
      { outcome: 'unreachable', error: 'ECONNREFUSED' },
      { outcome: 'refused', address: '10.1.2.3' },
    ];
    const { outbox, dispatcher, at } = await setUp(() => answers.shift()!);
    for (const id of ['msg_1', 'msg_2', 'msg_3', 'msg_4']) outbox.add(id, '{}', at());
    await dispatcher.deliverDue();
    const errors = outbox.deliveries.map((d) => [d.lastStatus, d.lastError]);
    expect(errors).toContainEqual([302, 'redirects are not followed']);
    expect(errors).toContainEqual([null, 'no answer within 5000 ms']);
    expect(errors).toContainEqual([null, 'ECONNREFUSED']);
    expect(errors.find(([, error]) => String(error).startsWith('10.1.2.3'))![1]).toMatch(/private address/);
  });

  it('leases what it claimed: a second dispatcher (another node) does not send it again while the first is sending', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = await setUp(async () => {
      await held;
      return { outcome: 'answered', status: 200 };
    });
    first.outbox.add('msg_1', '{}', first.at());
    const sending = first.dispatcher.deliverDue();
    const other = createWebhookDispatcher({
      store: first.outbox, sender: { post: async () => ({ outcome: 'answered', status: 200 }), resolve: async () => null },
      sealer: { open: async (s) => s }, clock: first.clock, logger: silentLogger, allowPrivate: false, timeoutMs: 5000,
    });
    expect(await other.deliverDue()).toBe(0);
    release();
    expect(await sending).toBe(1);
    expect(first.outbox.attempts).toHaveLength(1);
  });

  it('a dispatcher that died mid-attempt leaves the delivery due again once its lease ends: at least once', async () => {
    const { outbox, posts, dispatcher, advance, at } = await setUp(() => ({ outcome: 'answered', status: 200 }));
    outbox.add('msg_1', '{}', at());
    // A node claimed it and died without recording anything.
    await outbox.claimDueDeliveries(at(), 10, 40_000);
    expect(await dispatcher.deliverDue()).toBe(0);
    advance(40_000);
    expect(await dispatcher.deliverDue()).toBe(1);
    expect(posts).toHaveLength(1);
    expect(outbox.deliveries[0]!.status).toBe('delivered');
  });
});

describe('the webhook worker loop', () => {
  it('keeps going through a database outage and stops cleanly', async () => {
    let calls = 0;
    const dispatcher = {
      batchSize: 20,
      async deliverDue() {
        calls++;
        if (calls === 1) throw new StoreUnavailableError('sqlite', 'database is locked');
        return 0;
      },
    };
    const warnings: string[] = [];
    const worker = startWebhookWorker({ dispatcher, logger: { ...silentLogger, warn: (m) => warnings.push(m) }, intervalMs: 5 });
    await expect.poll(() => calls).toBeGreaterThanOrEqual(3);
    await worker.stop();
    const stoppedAt = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(stoppedAt);
    expect(warnings).toEqual(['webhook deliveries wait for the database']);
  });
});
