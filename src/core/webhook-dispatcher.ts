// The webhook delivery worker's core: claim due deliveries from the outbox (a lease, safe across nodes), sign each
// with its webhook's secret, send it, and record what came of it — delivered on a 2xx, else retried on the
// Standard Webhooks schedule until it is `failed`. Every node runs one; the lease keeps two from sending one
// delivery at once, and a node that dies mid-attempt leaves its deliveries due again when the lease ends.
import type { Clock, Logger } from '../ports/runtime.js';
import type { ClaimedDelivery, DeliveryAttempt, WebhookStore } from '../ports/webhook-store.js';
import type { WebhookPostResult, WebhookSender } from '../ports/webhook-sender.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import type { Sealer } from './sealing.js';
import { checkWebhookUrl, describeRefusedAddress, isAddressAllowed } from './webhook-destinations.js';
import { nextWebhookAttemptAt } from './webhook-schedule.js';
import { signWebhookMessage } from './webhook-signing.js';

export interface WebhookDispatcherOptions {
  store: Pick<WebhookStore, 'claimDueDeliveries' | 'recordDeliveryAttempt'>;
  sender: WebhookSender;
  /** Opens a webhook's stored secret (sealed under KEYMINT_KEK when that is set). */
  sealer: Pick<Sealer, 'open'>;
  clock: Clock;
  logger: Logger;
  allowPrivate: boolean;
  /** One attempt's deadline (KEYMINT_WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Deliveries claimed per round; they are sent concurrently. */
  batchSize?: number;
  /** In [0, 1): the retry schedule's jitter (Math.random; fixed in tests). */
  random?: () => number;
}

/** The delivery log's words for an attempt that got no 2xx; never more than a line. */
function describeOutcome(result: WebhookPostResult, timeoutMs: number): { status: number | null; error: string | null } {
  switch (result.outcome) {
    case 'answered':
      return { status: result.status, error: result.status >= 300 && result.status < 400 ? 'redirects are not followed' : null };
    case 'refused':
      return { status: null, error: describeRefusedAddress(result.address) };
    case 'timeout':
      return { status: null, error: `no answer within ${timeoutMs} ms` };
    case 'unreachable':
      return { status: null, error: result.error.slice(0, 500) };
  }
}

export interface WebhookDispatcher {
  /** Claims the deliveries due now (at most `batchSize`) and tries each once; resolves with how many it tried. */
  deliverDue(): Promise<number>;
  readonly batchSize: number;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, sender, sealer, clock, logger, allowPrivate, timeoutMs } = options;
  const batchSize = options.batchSize ?? 20;
  const random = options.random ?? Math.random;
  // Longer than any attempt (its deadline, the secret, the signature), so a live dispatcher never loses its lease.
  const leaseMs = 2 * timeoutMs + 30_000;
  const admitAddress = (address: string) => isAddressAllowed(address, allowPrivate);

  async function attempt({ delivery, webhook }: ClaimedDelivery): Promise<DeliveryAttempt> {
    const destination = checkWebhookUrl(webhook.url, allowPrivate);
    let result: WebhookPostResult;
    if (!destination.ok) {
      // The URL was checked when the webhook was created; the operator may have turned private addresses off since.
      result = { outcome: 'unreachable', error: destination.detail ?? 'the URL is not allowed' };
    } else {
      const headers = await signWebhookMessage(await sealer.open(webhook.secret), {
        id: delivery.id,
        timestampSeconds: clock.now() / 1000,
        body: delivery.payload,
      });
      result = await sender.post({ url: webhook.url, headers: { ...headers }, body: delivery.payload, admitAddress, timeoutMs });
    }
    const at = clock.now();
    if (result.outcome === 'answered' && result.status >= 200 && result.status < 300) {
      return { outcome: 'delivered', at, status: result.status };
    }
    const { status, error } = describeOutcome(result, timeoutMs);
    const next = nextWebhookAttemptAt(delivery.attempts + 1, at, random);
    return next === null ? { outcome: 'failed', at, status, error } : { outcome: 'retry', at, status, error, nextAttemptAt: next };
  }

  async function deliverOne(claimed: ClaimedDelivery): Promise<void> {
    let outcome: DeliveryAttempt;
    try {
      outcome = await attempt(claimed);
    } catch (error) {
      // A fault (a secret that cannot be opened, a bug): recorded as a failed attempt and retried on schedule.
      const at = clock.now();
      const message = error instanceof Error ? error.message : String(error);
      const next = nextWebhookAttemptAt(claimed.delivery.attempts + 1, at, random);
      outcome = next === null ? { outcome: 'failed', at, status: null, error: message } : { outcome: 'retry', at, status: null, error: message, nextAttemptAt: next };
      logger.error('webhook delivery fault', { deliveryId: claimed.delivery.id, webhookId: claimed.webhook.id, error: message });
    }
    await store.recordDeliveryAttempt(claimed.delivery.id, outcome);
    if (outcome.outcome === 'failed') {
      logger.warn('webhook delivery failed for good', { deliveryId: claimed.delivery.id, webhookId: claimed.webhook.id, error: outcome.error, status: outcome.status });
    }
  }

  return {
    batchSize,
    async deliverDue() {
      const claimed = await store.claimDueDeliveries(clock.now(), batchSize, leaseMs);
      const settled = await Promise.allSettled(claimed.map(deliverOne));
      for (const result of settled) {
        // Recording failed (the database went away): the lease ends and the delivery is tried again — at least once.
        if (result.status === 'rejected') {
          const error = result.reason;
          if (!(error instanceof StoreUnavailableError)) throw error;
          logger.warn('webhook delivery not recorded; it will be tried again', { error: error.message });
        }
      }
      return claimed.length;
    },
  };
}

/**
 * Rounds until one comes back short of a full batch (nothing more is due) or `maxRounds` have run, for a runtime
 * without a long-lived process: a Worker's Cron Trigger calls it once a run. Resolves with how many it tried.
 */
export async function drainDueDeliveries(dispatcher: WebhookDispatcher, maxRounds: number): Promise<number> {
  let tried = 0;
  for (let round = 0; round < maxRounds; round++) {
    const inRound = await dispatcher.deliverDue();
    tried += inRound;
    if (inRound < dispatcher.batchSize) break;
  }
  return tried;
}

/** A running worker: one round now, then one every `intervalMs` (more at once while rounds come back full). */
export interface WebhookWorker {
  /** Waits for the round under way, then stops. */
  stop(): Promise<void>;
}

export function startWebhookWorker(options: {
  dispatcher: WebhookDispatcher;
  logger: Logger;
  intervalMs: number;
}): WebhookWorker {
  const { dispatcher, logger, intervalMs } = options;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  async function round(): Promise<void> {
    let tried = 0;
    try {
      tried = await dispatcher.deliverDue();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof StoreUnavailableError) logger.warn('webhook deliveries wait for the database', { error: message });
      else logger.error('webhook delivery round failed', { error: message });
    }
    if (stopped) return;
    // A full batch means more may be due: go on at once instead of waiting a whole interval.
    timer = setTimeout(() => (running = round()), tried >= dispatcher.batchSize ? 0 : intervalMs);
    // The worker never keeps a Node process alive on its own.
    (timer as { unref?: () => void }).unref?.();
  }

  running = round();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
