import { describe, expect, it } from 'vitest';
import type { OperationAction, OperationRecord } from '../ports/key-store.js';
import { searchOperations, type ListOperations } from './operation-search.js';

/** An audit log of `count` entries, newest first, paged as a store pages it; it counts the entries it hands out. */
function auditLog(count: number, shape: (index: number) => Partial<OperationRecord>) {
  const entries: OperationRecord[] = Array.from({ length: count }, (_, index) => ({
    id: `op_${String(count - index).padStart(6, '0')}`,
    accountId: 'acct_1',
    environment: 'sandbox',
    keyId: null,
    action: 'key.created' as OperationAction,
    actor: 'root',
    at: count - index,
    ...shape(index),
  }));
  let read = 0;
  const list: ListOperations = async ({ after, limit }) => {
    const start = after === undefined ? 0 : entries.findIndex((entry) => entry.id === after) + 1;
    const items = entries.slice(start, start + limit);
    read += items.length;
    return { items, next: start + limit < entries.length ? items.at(-1)!.id : null };
  };
  return { entries, list, read: () => read };
}

describe('searching the audit log', () => {
  it('keeps the matching entries, newest first, and pages on from the last one shown', async () => {
    const log = auditLog(30, (index) => ({ environment: index % 3 === 0 ? 'production' : 'sandbox' }));
    const first = await searchOperations(log.list, { environment: 'production' }, { limit: 4, scanLimit: 1000 });
    expect(first.items.map((entry) => entry.id)).toEqual(['op_000030', 'op_000027', 'op_000024', 'op_000021']);
    const second = await searchOperations(log.list, { environment: 'production' }, { after: first.next!, limit: 4, scanLimit: 1000 });
    expect(second.items.map((entry) => entry.id)).toEqual(['op_000018', 'op_000015', 'op_000012', 'op_000009']);
    const last = await searchOperations(log.list, { environment: 'production' }, { after: second.next!, limit: 4, scanLimit: 1000 });
    expect(last.items.map((entry) => entry.id)).toEqual(['op_000006', 'op_000003']);
    expect(last.next).toBeNull();
  });

  it('combines key, action and actor', async () => {
    const log = auditLog(12, (index) => ({
      keyId: index % 2 === 0 ? 'key_a' : 'key_b',
      action: index % 4 < 2 ? 'key.disabled' : 'key.enabled',
      actor: index < 6 ? 'root' : 'adm_x',
    }));
    const found = await searchOperations(log.list, { keyId: 'key_a', action: 'key.disabled', actor: 'adm_x' }, { limit: 10, scanLimit: 1000 });
    // Of the twelve, only index 8 is key_a (even), disabled (index % 4 < 2) and by adm_x (index >= 6).
    expect(found.items.map((entry) => [entry.id, entry.keyId, entry.action, entry.actor])).toEqual([
      [log.entries[8]!.id, 'key_a', 'key.disabled', 'adm_x'],
    ]);
    expect(found.next).toBeNull();
  });

  it('stops after reading scanLimit entries and says where to go on, when little or nothing matches', async () => {
    const log = auditLog(500, (index) => ({ action: index === 420 ? 'key.deleted' : 'key.created' }));
    const first = await searchOperations(log.list, { action: 'key.deleted' }, { limit: 10, scanLimit: 200 });
    expect(first.items).toEqual([]);
    expect(first.scanned).toBe(200);
    expect(log.read()).toBe(200);
    const second = await searchOperations(log.list, { action: 'key.deleted' }, { after: first.next!, limit: 10, scanLimit: 200 });
    expect(second.items).toEqual([]);
    const third = await searchOperations(log.list, { action: 'key.deleted' }, { after: second.next!, limit: 10, scanLimit: 200 });
    expect(third.items.map((entry) => entry.id)).toEqual([log.entries[420]!.id]);
    expect(third.next).toBeNull();
    expect(log.read()).toBe(500);
  });

  it('with no filter is the log itself', async () => {
    const log = auditLog(7, () => ({}));
    const found = await searchOperations(log.list, {}, { limit: 50, scanLimit: 1000 });
    expect(found.items).toEqual(log.entries);
    expect(found.next).toBeNull();
  });
});
