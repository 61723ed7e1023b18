// Records an audit entry and queues its webhook deliveries (the outbox), inside the PostgreSQL transaction of the
// change it describes.
import { sql } from 'drizzle-orm';
import * as schema from '../../../db/pg/schema.js';
import type { OperationRecord } from '../../ports/key-store.js';
import { operationIdSuffix } from '../key-rows.js';
import type { PgDatabase } from './postgres-database.js';

const { operations, webhooks, webhookDeliveries } = schema;

/** A database or a transaction on it. */
export type PgExecutor = Pick<PgDatabase, 'insert' | 'execute'>;

/**
 * Inserts the operation and, when it carries an event, one pending delivery per webhook of its account subscribed
 * to its action. Call it in the change's transaction, after the change: the webhooks are those the change left
 * (a new webhook hears of its own creation, a deleted one does not).
 */
export async function writeAudit(tx: PgExecutor, operation: OperationRecord): Promise<void> {
  const { event, ...entry } = operation;
  await tx.insert(operations).values(entry);
  if (event === undefined || operation.accountId === null) return;
  // (Parameters in a SELECT list would be typed text without the casts.)
  await tx.execute(sql`insert into ${webhookDeliveries}
      (id, webhook_id, account_id, event_type, payload, created_at, status, attempts, next_attempt_at)
    select ${`msg_${operationIdSuffix(operation.id)}_`} || substr(w.id, 4), w.id, w.account_id, ${operation.action}::text,
      ${event}::text, ${operation.at}::bigint, 'pending', 0, ${operation.at}::bigint
    from ${webhooks} w
    where w.account_id = ${operation.accountId}
      and (w.events is null or w.events::jsonb @> jsonb_build_array(${operation.action}::text))
    on conflict do nothing`);
}
