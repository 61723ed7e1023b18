// KeyStore on PostgreSQL through drizzle: each change and its audit entry in one transaction.
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import * as schema from '../../../db/pg/schema.js';
import type { Environment } from '../../shared/domain.js';
import type {
  AccountRecord,
  AdminTokenRecord,
  KeyChanges,
  KeyRecord,
  KeyStore,
  OperationRecord,
  Page,
} from '../../ports/key-store.js';
import type { PgDatabase } from './postgres-database.js';
import { reachPostgres } from './postgres-unavailable.js';

const { accounts, adminTokens, apiKeys, operations } = schema;

type KeyRow = typeof apiKeys.$inferSelect;

function toKeyRecord(row: KeyRow): KeyRecord {
  return { ...row, scopes: JSON.parse(row.scopes) as string[] };
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
}

// The first key of pg_advisory_xact_lock(int, int) for "an account's keys in one environment"; the second
// is a hash of the pair. (Two-key advisory locks never collide with the one-bigint migration lock.)
const KEY_LIMIT_LOCK = 0x6b6d0001;

export class PgKeyStore implements KeyStore {
  // The look-ups every token request and Api-Key call makes, prepared once per connection.
  private readonly keyByApplicationId;
  private readonly keyBySecretHash;

  constructor(private readonly db: PgDatabase) {
    const value = sql.placeholder('value');
    this.keyByApplicationId = db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.applicationId, value))
      .limit(1)
      .prepare('keymint_key_by_application_id');
    this.keyBySecretHash = db.select().from(apiKeys).where(eq(apiKeys.secretHash, value)).limit(1).prepare('keymint_key_by_secret_hash');
  }

  createAccount(account: AccountRecord, operation: OperationRecord): Promise<void> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        await tx.insert(accounts).values(account);
        await tx.insert(operations).values(operation);
      }),
    );
  }

  getAccount(accountId: string): Promise<AccountRecord | null> {
    return reachPostgres(async () => {
      const rows = await this.db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
      return rows[0] ?? null;
    });
  }

  createAdminToken(token: AdminTokenRecord, operation: OperationRecord): Promise<void> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        await tx.insert(adminTokens).values(token);
        await tx.insert(operations).values(operation);
      }),
    );
  }

  findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | null> {
    return reachPostgres(async () => {
      const rows = await this.db.select().from(adminTokens).where(eq(adminTokens.tokenHash, tokenHash)).limit(1);
      return rows[0] ?? null;
    });
  }

  insertKey(key: KeyRecord, limit: number, operation: OperationRecord): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        // Under READ COMMITTED two concurrent conditional INSERTs could both count below the limit. The
        // advisory lock on (account, environment) makes creates for the same pair take turns until commit;
        // the INSERT's snapshot is taken after the lock is granted, so it counts every key committed before.
        await tx.execute(
          sql`select pg_advisory_xact_lock(${KEY_LIMIT_LOCK}, hashtext(${key.accountId} || '/' || ${key.environment}))`,
        );
        // (Parameters in a SELECT list would be typed text without the casts.)
        const inserted = await tx.execute(sql`insert into ${apiKeys}
          (id, account_id, environment, name, application_id, secret_hash, secret_hint, scopes, status, expires_at, created_at, updated_at, last_used_at)
          select ${key.id}, ${key.accountId}, ${key.environment}, ${key.name}, ${key.applicationId}, ${key.secretHash},
            ${key.secretHint}, ${JSON.stringify(key.scopes)}, ${key.status},
            ${key.expiresAt}::bigint, ${key.createdAt}::bigint, ${key.updatedAt}::bigint, null
          where (select count(*) from ${apiKeys} where ${apiKeys.accountId} = ${key.accountId} and ${apiKeys.environment} = ${key.environment}) < ${limit}
          returning id`);
        if (inserted.length === 0) return false;
        await tx.insert(operations).values(operation);
        return true;
      }),
    );
  }

  getKey(accountId: string, keyId: string): Promise<KeyRecord | null> {
    return reachPostgres(async () => {
      const rows = await this.db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
        .limit(1);
      return rows[0] ? toKeyRecord(rows[0]) : null;
    });
  }

  findKeyByApplicationId(applicationId: string): Promise<KeyRecord | null> {
    return reachPostgres(async () => {
      const rows = await this.keyByApplicationId.execute({ value: applicationId });
      return rows[0] ? toKeyRecord(rows[0]) : null;
    });
  }

  findKeyBySecretHash(secretHash: string): Promise<KeyRecord | null> {
    return reachPostgres(async () => {
      const rows = await this.keyBySecretHash.execute({ value: secretHash });
      return rows[0] ? toKeyRecord(rows[0]) : null;
    });
  }

  listKeys(accountId: string, query: { environment?: Environment; after?: string; limit: number }): Promise<Page<KeyRecord>> {
    return reachPostgres(async () => {
      const rows = await this.db
        .select()
        .from(apiKeys)
        .where(
          and(
            eq(apiKeys.accountId, accountId),
            query.environment ? eq(apiKeys.environment, query.environment) : undefined,
            query.after ? gt(apiKeys.id, query.after) : undefined,
          ),
        )
        .orderBy(asc(apiKeys.id))
        .limit(query.limit + 1);
      return page(rows.map(toKeyRecord), query.limit);
    });
  }

  updateKey(accountId: string, keyId: string, changes: KeyChanges, operation: OperationRecord): Promise<KeyRecord | null> {
    const { scopes, ...rest } = changes;
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        const [row] = await tx
          .update(apiKeys)
          .set({ ...rest, ...(scopes && { scopes: JSON.stringify(scopes) }) })
          .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
          .returning();
        if (!row) return null;
        await tx.insert(operations).values(operation);
        return toKeyRecord(row);
      }),
    );
  }

  deleteKey(accountId: string, keyId: string, operation: OperationRecord): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        const deleted = await tx
          .delete(apiKeys)
          .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
          .returning({ id: apiKeys.id });
        if (deleted.length === 0) return false;
        await tx.insert(operations).values(operation);
        return true;
      }),
    );
  }

  touchKey(keyId: string, lastUsedAt: number): Promise<void> {
    return reachPostgres(async () => void (await this.db.update(apiKeys).set({ lastUsedAt }).where(eq(apiKeys.id, keyId))));
  }

  recordOperation(operation: OperationRecord): Promise<void> {
    return reachPostgres(async () => void (await this.db.insert(operations).values(operation)));
  }

  listOperations(accountId: string, query: { after?: string; limit: number }): Promise<Page<OperationRecord>> {
    return reachPostgres(async () => {
      const rows = await this.db
        .select()
        .from(operations)
        .where(and(eq(operations.accountId, accountId), query.after ? lt(operations.id, query.after) : undefined))
        .orderBy(desc(operations.id))
        .limit(query.limit + 1);
      return page(rows as OperationRecord[], query.limit);
    });
  }
}
