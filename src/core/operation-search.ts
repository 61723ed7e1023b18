// Searching the audit log: its pages read newest first, the entries that match kept, with a bound on how far one
// search reads so a filter that matches nothing cannot make one request read the whole log.
import type { Environment } from '../shared/domain.js';
import type { OperationAction, OperationRecord, Page } from '../ports/key-store.js';

/** What an entry must have; an absent field matches anything. */
export interface OperationFilter {
  environment?: Environment;
  keyId?: string;
  action?: OperationAction;
  /** `root`, or the id of an admin token (the audit log's actor). */
  actor?: string;
}

export type ListOperations = (query: { after?: string; limit: number }) => Promise<Page<OperationRecord>>;

const READ_PAGE = 100;

export function matchesOperation(operation: OperationRecord, filter: OperationFilter): boolean {
  return (
    (filter.environment === undefined || operation.environment === filter.environment) &&
    (filter.keyId === undefined || operation.keyId === filter.keyId) &&
    (filter.action === undefined || operation.action === filter.action) &&
    (filter.actor === undefined || operation.actor === filter.actor)
  );
}

/**
 * Up to `limit` entries matching `filter`, newest first, from after `after`. Stops once `limit` match or `scanLimit`
 * entries have been read; `next` continues after the last entry read (null once the log is exhausted), so paging on
 * reads every entry exactly once.
 */
export async function searchOperations(
  list: ListOperations,
  filter: OperationFilter,
  query: { after?: string; limit: number; scanLimit: number },
): Promise<Page<OperationRecord> & { scanned: number }> {
  const items: OperationRecord[] = [];
  let cursor = query.after;
  let scanned = 0;
  for (;;) {
    const page = await list({ after: cursor, limit: Math.min(READ_PAGE, query.scanLimit - scanned) });
    for (const [index, operation] of page.items.entries()) {
      scanned += 1;
      cursor = operation.id;
      if (matchesOperation(operation, filter)) items.push(operation);
      const exhausted = index === page.items.length - 1 && page.next === null;
      if (items.length === query.limit || scanned >= query.scanLimit) return { items, next: exhausted ? null : cursor, scanned };
    }
    if (page.next === null || page.items.length === 0) return { items, next: null, scanned };
  }
}
