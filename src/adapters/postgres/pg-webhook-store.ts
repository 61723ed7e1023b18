// WebhookStore on PostgreSQL through drizzle, on the same database handle as PgKeyStore.
import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import * as schema from '../../../db/pg/schema.js';
import type { OperationRecord, Page } from '../../ports/key-store.js';
import type {
  ClaimedDelivery,
  DeliveryAttempt,
  WebhookDeliveryRecord,
  WebhookRecord,
  WebhookStore,
} from '../../ports/webhook-store.js';
import { deliveryAttemptColumns, page, toDeliveryRecord, toWebhookRecord, toWebhookRow } from '../key-rows.js';
import { writeAudit } from './pg-audit.js';
import type { PgDatabase } from './postgres-database.js';
import { reachPostgres } from './postgres-unavailable.js';

const { webhooks, webhookDeliveries } = schema;
/** pg_advisory_xact_lock's first key for an account's webhook adds (PgKeyStore's key limit uses 0x6b6d0001). */
const WEBHOOK_LIMIT_LOCK = 0x6b6d0002;

export class PgWebhookStore implements WebhookStore {
  constructor(private readonly db: PgDatabase) {}

  createWebhook(webhook: WebhookRecord, operation: OperationRecord, limit: number): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        // The account's adds take turns until commit (see PgKeyStore.insertKey), so the count holds for the insert.
        await tx.execute(sql`select pg_advisory_xact_lock(${WEBHOOK_LIMIT_LOCK}, hashtext(${webhook.accountId}))`);
        const [counted] = await tx
          .select({ count: sql<number>`count(*)`.mapWith(Number) })
          .from(webhooks)
          .where(eq(webhooks.accountId, webhook.accountId));
        if (counted!.count >= limit) return false;
        await tx.insert(webhooks).values(toWebhookRow(webhook));
        await writeAudit(tx, operation);
        return true;
      }),
    );
  }

  listWebhooks(accountId: string): Promise<WebhookRecord[]> {
    return reachPostgres(async () => {
      const rows = await this.db.select().from(webhooks).where(eq(webhooks.accountId, accountId)).orderBy(asc(webhooks.id));
      return rows.map(toWebhookRecord);
    });
  }

  getWebhook(accountId: string, webhookId: string): Promise<WebhookRecord | null> {
    return reachPostgres(async () => {
      const [row] = await this.db
        .select()
        .from(webhooks)
        .where(and(eq(webhooks.id, webhookId), eq(webhooks.accountId, accountId)))
        .limit(1);
      return row ? toWebhookRecord(row) : null;
    });
  }

  deleteWebhook(accountId: string, webhookId: string, operation: OperationRecord): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        await tx
          .delete(webhookDeliveries)
          .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.accountId, accountId)));
        const deleted = await tx
          .delete(webhooks)
          .where(and(eq(webhooks.id, webhookId), eq(webhooks.accountId, accountId)))
          .returning({ id: webhooks.id });
        if (deleted.length === 0) return false;
        // After the delete: the account's other webhooks hear of it, the deleted one does not.
        await writeAudit(tx, operation);
        return true;
      }),
    );
  }

  listDeliveries(
    accountId: string,
    webhookId: string,
    query: { after?: string; limit: number },
  ): Promise<Page<WebhookDeliveryRecord>> {
    return reachPostgres(async () => {
      const rows = await this.db
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.webhookId, webhookId),
            eq(webhookDeliveries.accountId, accountId),
            query.after ? lt(webhookDeliveries.id, query.after) : undefined,
          ),
        )
        .orderBy(desc(webhookDeliveries.id))
        .limit(query.limit + 1);
      return page(rows.map(toDeliveryRecord), query.limit);
    });
  }

  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return reachPostgres(async () => {
      // FOR UPDATE SKIP LOCKED: dispatchers on other nodes claiming at the same moment take other rows instead
      // of waiting for these; the lease (the new next_attempt_at) keeps them off once this commits.
      const claimed = await this.db.execute<{ id: string }>(sql`
        update ${webhookDeliveries} set next_attempt_at = ${now + leaseMs}::bigint
        where id in (
          select id from ${webhookDeliveries}
          where status = 'pending' and next_attempt_at <= ${now}::bigint
          order by next_attempt_at, id
          limit ${limit}
          for update skip locked
        )
        returning id`);
      if (claimed.length === 0) return [];
      const ids = claimed.map((row) => row.id);
      const rows = await this.db
        .select({ delivery: webhookDeliveries, webhook: webhooks })
        .from(webhookDeliveries)
        .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
        .where(inArray(webhookDeliveries.id, ids))
        .orderBy(asc(webhookDeliveries.createdAt), asc(webhookDeliveries.id));
      return rows.map((row) => ({ delivery: toDeliveryRecord(row.delivery), webhook: toWebhookRecord(row.webhook) }));
    });
  }

  recordDeliveryAttempt(deliveryId: string, attempt: DeliveryAttempt): Promise<boolean> {
    return reachPostgres(async () => {
      const updated = await this.db
        .update(webhookDeliveries)
        .set(deliveryAttemptColumns(attempt, sql`${webhookDeliveries.attempts} + 1`))
        .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')))
        .returning({ id: webhookDeliveries.id });
      return updated.length === 1;
    });
  }
}

