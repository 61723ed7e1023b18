// The statements that record an audit entry and queue its webhook deliveries (the outbox), for the SQLite stores
// to run in the same atomic batch as the change they describe.
import { sql, type SQL } from 'drizzle-orm';
import * as schema from '../../../db/schema.js';
import type { OperationRecord } from '../../ports/key-store.js';
import { operationIdSuffix } from '../key-rows.js';

const { operations, webhooks, webhookDeliveries } = schema;

/**
 * Inserts the operation (only if `onlyIf` holds, so a refused change leaves no entry) and, when it carries an
 * event, one pending delivery per webhook of its account subscribed to its action — only if the operation row
 * is there, so deliveries exist exactly when the entry does. Run after the change: the webhooks are those the
 * change left (a new webhook hears of its own creation, a deleted one does not).
 */
export function auditStatements(operation: OperationRecord, onlyIf?: SQL): SQL[] {
  const values = sql`${operation.id}, ${operation.accountId}, ${operation.environment}, ${operation.keyId}, ${operation.action}, ${operation.actor}, ${operation.at}`;
  const entry = sql`insert into ${operations} (id, account_id, environment, key_id, action, actor, at) select ${values} where ${onlyIf ?? sql`1`}`;
  if (operation.event === undefined || operation.accountId === null) return [entry];
  // `where` before `on conflict`: SQLite would read an `on` right after the FROM as a join constraint.
  const deliveries = sql`insert into ${webhookDeliveries}
      (id, webhook_id, account_id, event_type, payload, created_at, status, attempts, next_attempt_at)
    select ${`msg_${operationIdSuffix(operation.id)}_`} || substr(w.id, 4), w.id, w.account_id, ${operation.action},
      ${operation.event}, ${operation.at}, 'pending', 0, ${operation.at}
    from ${webhooks} w
    where w.account_id = ${operation.accountId}
      and (w.events is null or exists (select 1 from json_each(w.events) where json_each.value = ${operation.action}))
      and exists (select 1 from ${operations} where ${operations.id} = ${operation.id})
    on conflict do nothing`;
  return [entry, deliveries];
}
