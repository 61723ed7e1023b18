// The webhook payload of an audited change: the Standard Webhooks shape, built from the operation alone.
import { describe, expect, it } from 'vitest';
import type { OperationRecord } from '../ports/key-store.js';
import { webhookEvent, withWebhookEvent } from './webhook-events.js';

const operation: OperationRecord = {
  id: 'op_0000000100000abcdefghijk',
  accountId: 'acct_1',
  environment: 'production',
  keyId: 'key_1',
  action: 'key.regenerated',
  actor: 'adm_1',
  at: Date.UTC(2026, 11, 2, 10, 30, 0, 250),
};

describe('webhook events', () => {
  it('are Standard Webhooks payloads: type, timestamp and the audit-log entry as data', () => {
    expect(JSON.parse(webhookEvent(operation))).toEqual({
      type: 'key.regenerated',
      timestamp: '2026-12-02T10:30:00.250Z',
      data: {
        id: 'op_0000000100000abcdefghijk',
        action: 'key.regenerated',
        accountId: 'acct_1',
        environment: 'production',
        keyId: 'key_1',
        actor: 'adm_1',
        at: '2026-12-02T10:30:00.250Z',
      },
    });
  });

  it('are the same bytes every time for the same operation, and attached without changing it', () => {
    expect(webhookEvent(operation)).toBe(webhookEvent({ ...operation }));
    const attached = withWebhookEvent(operation);
    expect(attached).toEqual({ ...operation, event: webhookEvent(operation) });
    expect(operation).not.toHaveProperty('event');
  });
});
