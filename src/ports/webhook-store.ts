// WebhookStore: an account's webhooks and their delivery outbox (SPEC §9). The KeyStore queues deliveries with
// each audited change; this port manages the webhooks, hands due deliveries to a dispatcher and records attempts.
import type { OperationAction, OperationRecord, Page } from './key-store.js';

export interface WebhookRecord {
  /** `wh_…` (the outbox's delivery ids are built from what follows the prefix). */
  id: string;
  accountId: string;
  url: string;
  /** The event types (audit actions) it receives; null = every event. */
  events: OperationAction[] | null;
  /** The Standard Webhooks signing secret, as core hands it over: sealed under KEYMINT_KEK when that is set. */
  secret: string;
  createdAt: number;
}

/** The shape of a delivery id (see WebhookDeliveryRecord.id): a cursor of the delivery log must have it. */
export const DELIVERY_ID_SHAPE = /^msg_[0-9A-Za-z]{22}_[0-9A-Za-z]{22}$/;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryRecord {
  /**
   * The Standard Webhooks `webhook-id`: `msg_` + the operation id after its prefix + `_` + the webhook id after
   * its `wh_`. The same change queued twice is one delivery.
   */
  id: string;
  webhookId: string;
  accountId: string;
  /** The operation's action, e.g. `key.created`. */
  eventType: OperationAction;
  /** The Standard Webhooks payload, JSON text `{type, timestamp, data}`, as core built it. */
  payload: string;
  createdAt: number;
  status: DeliveryStatus;
  /** Attempts recorded so far. */
  attempts: number;
  /** When a pending delivery is next due, or when the lease of the dispatcher that claimed it ends. */
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  /** The receiver's HTTP status at the last attempt; null when there was none (refused, timed out). */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

/** A due delivery, leased to the dispatcher that claimed it, with what it needs to sign and send it. */
export interface ClaimedDelivery {
  delivery: WebhookDeliveryRecord;
  webhook: WebhookRecord;
}

/** What came of one attempt; core chooses between retrying and giving up (its backoff schedule). */
export type DeliveryAttempt =
  | { outcome: 'delivered'; at: number; status: number }
  | { outcome: 'retry'; at: number; status: number | null; error: string | null; nextAttemptAt: number }
  | { outcome: 'failed'; at: number; status: number | null; error: string | null };

export interface WebhookStore {
  /**
   * Adds the webhook with its audit entry (`webhook.created`), in one atomic write — unless the account already
   * has `limit` webhooks (counted in the same atomic step, so concurrent adds cannot pass it): false then.
   */
  createWebhook(webhook: WebhookRecord, operation: OperationRecord, limit: number): Promise<boolean>;
  /** The account's webhooks in id (creation) order; an account has few. */
  listWebhooks(accountId: string): Promise<WebhookRecord[]>;
  getWebhook(accountId: string, webhookId: string): Promise<WebhookRecord | null>;
  /** Deletes the webhook, its deliveries (pending ones included) and writes its audit entry; false when none. */
  deleteWebhook(accountId: string, webhookId: string, operation: OperationRecord): Promise<boolean>;

  /** The webhook's deliveries, newest first, continuing after the delivery `after`. */
  listDeliveries(
    accountId: string,
    webhookId: string,
    query: { after?: string; limit: number },
  ): Promise<Page<WebhookDeliveryRecord>>;
  /**
   * Leases up to `limit` pending deliveries due at `now` (oldest due first) until `now + leaseMs`: no other
   * dispatcher, in this process or another, claims them before the lease ends; if this one dies, they are due
   * again then.
   */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /**
   * Records an attempt on a pending delivery (a delivery already delivered or failed is left alone: a
   * dispatcher whose lease ran out may report late). False when no pending delivery has this id.
   */
  recordDeliveryAttempt(deliveryId: string, attempt: DeliveryAttempt): Promise<boolean>;
}
