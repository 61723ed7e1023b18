// The Standard Webhooks payload of an audited change: every audit-log entry of an account is an event (SPEC §9).
import type { OperationRecord } from '../ports/key-store.js';

/** What a webhook receives: `type` is the audit action, `data` the audit-log entry as the admin API shows it. */
export interface WebhookEventPayload {
  type: OperationRecord['action'];
  timestamp: string;
  data: {
    id: string;
    action: OperationRecord['action'];
    accountId: string | null;
    environment: OperationRecord['environment'];
    keyId: string | null;
    actor: string;
    at: string;
  };
}

/**
 * The payload as JSON text, a pure function of the operation: the store queues it with the operation, in the
 * same transaction, and every retry sends these very bytes (they are what the signature covers).
 */
export function webhookEvent(operation: Omit<OperationRecord, 'event'>): string {
  const at = new Date(operation.at).toISOString();
  const payload: WebhookEventPayload = {
    type: operation.action,
    timestamp: at,
    data: {
      id: operation.id,
      action: operation.action,
      accountId: operation.accountId,
      environment: operation.environment,
      keyId: operation.keyId,
      actor: operation.actor,
      at,
    },
  };
  return JSON.stringify(payload);
}

/** The operation with its webhook payload attached, ready for the store to record and queue together. */
export function withWebhookEvent(operation: OperationRecord): OperationRecord {
  return { ...operation, event: webhookEvent(operation) };
}
