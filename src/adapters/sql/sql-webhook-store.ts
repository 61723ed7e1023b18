// WebhookStore over drizzle, on the same SQL executor (and database) as SqlKeyStore: better-sqlite3 or D1.
import { and, asc, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
import * as schema from '../../../db/schema.js';
import type { OperationRecord, Page } from '../../ports/key-store.js';
import type {
  ClaimedDelivery,
  DeliveryAttempt,
  WebhookDeliveryRecord,
  WebhookRecord,
  WebhookStore,
} from '../../ports/webhook-store.js';
import { deliveryAttemptColumns, page, toDeliveryRecord, toWebhookRecord, toWebhookRow } from '../key-rows.js';
import { auditStatements } from './sql-audit.js';
import { guardedBy, insertRowIf, type SqlExecutor, type SqliteDatabase } from './sql-store.js';

const { webhooks, webhookDeliveries } = schema;

export class SqlWebhookStore implements WebhookStore {
  private readonly db: SqliteDatabase;
  private readonly guarded: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(private readonly executor: SqlExecutor) {
    this.db = executor.db;
    this.guarded = guardedBy(executor);
  }

  createWebhook(webhook: WebhookRecord, operation: OperationRecord, limit: number): Promise<boolean> {
    return this.guarded(async () => {
      const insert = insertRowIf(webhooks, toWebhookRow(webhook), sql`(select count(*) from ${webhooks} where ${webhooks.accountId} = ${webhook.accountId}) < ${limit}`);
      const inserted = sql`exists (select 1 from ${webhooks} where ${webhooks.id} = ${webhook.id})`;
      const [changed] = await this.executor.atomic([insert, ...auditStatements(operation, inserted)]);
      return changed === 1;
    });
  }

  listWebhooks(accountId: string): Promise<WebhookRecord[]> {
    return this.guarded(async () => {
      const rows = await this.db.select().from(webhooks).where(eq(webhooks.accountId, accountId)).orderBy(asc(webhooks.id));
      return rows.map(toWebhookRecord);
    });
  }

  getWebhook(accountId: string, webhookId: string): Promise<WebhookRecord | null> {
    return this.guarded(async () => {
      const [row] = await this.db
        .select()
        .from(webhooks)
        .where(and(eq(webhooks.id, webhookId), eq(webhooks.accountId, accountId)))
        .limit(1);
      return row ? toWebhookRecord(row) : null;
    });
  }

  deleteWebhook(accountId: string, webhookId: string, operation: OperationRecord): Promise<boolean> {
    return this.guarded(async () => {
      const target = and(eq(webhooks.id, webhookId), eq(webhooks.accountId, accountId));
      const exists = sql`exists (select 1 from ${webhooks} where ${target})`;
      // The entry (and its deliveries to the account's other webhooks) first, while the webhook is there to
      // condition on; then its own deliveries (this event's included) and the webhook.
      const changed = await this.executor.atomic([
        ...auditStatements(operation, exists),
        this.db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.accountId, accountId))),
        this.db.delete(webhooks).where(target),
      ]);
      return changed.at(-1) === 1;
    });
  }

  listDeliveries(
    accountId: string,
    webhookId: string,
    query: { after?: string; limit: number },
  ): Promise<Page<WebhookDeliveryRecord>> {
    return this.guarded(async () => {
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
    return this.guarded(async () => {
      // One UPDATE … RETURNING: SQLite (and D1) run it under the single write lock, so two dispatchers never
      // lease the same delivery; the lease is the new next_attempt_at.
      const due = this.db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.status, 'pending'), lte(webhookDeliveries.nextAttemptAt, now)))
        .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
        .limit(limit);
      const claimed = await this.db
        .update(webhookDeliveries)
        .set({ nextAttemptAt: now + leaseMs })
        .where(and(inArray(webhookDeliveries.id, due), eq(webhookDeliveries.status, 'pending')))
        .returning();
      if (claimed.length === 0) return [];
      const hooks = await this.db
        .select()
        .from(webhooks)
        .where(inArray(webhooks.id, [...new Set(claimed.map((row) => row.webhookId))]));
      const byId = new Map(hooks.map((row) => [row.id, toWebhookRecord(row)]));
      return claimed
        .map(toDeliveryRecord)
        .sort((a, b) => (a.createdAt - b.createdAt) || (a.id < b.id ? -1 : 1))
        .filter((delivery) => byId.has(delivery.webhookId))
        .map((delivery) => ({ delivery, webhook: byId.get(delivery.webhookId)! }));
    });
  }

  recordDeliveryAttempt(deliveryId: string, attempt: DeliveryAttempt): Promise<boolean> {
    return this.guarded(async () => {
      const update = this.db
        .update(webhookDeliveries)
        .set(deliveryAttemptColumns(attempt, sql`${webhookDeliveries.attempts} + 1`))
        .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')));
      const [changed] = await this.executor.atomic([update]);
      return changed === 1;
    });
  }
}
