// KeyStore on PostgreSQL through drizzle: each change, its audit entry and its webhook deliveries in one transaction.
import { and, asc, desc, eq, gt, lt, or, sql } from 'drizzle-orm';
import * as schema from '../../../db/pg/schema.js';
import type { Environment } from '../../shared/domain.js';
import { fail, ok, type Result } from '../../shared/result.js';
import type {
  AccountRecord,
  AdminTokenRecord,
  KeyChanges,
  KeyInsertRefusal,
  KeyLimits,
  KeyMatch,
  KeyPair,
  KeyRecord,
  KeyStore,
  OperationRecord,
  Page,
} from '../../ports/key-store.js';
import { matchOf, page, toKeyColumnChanges, toKeyRecord, toKeyRow } from '../key-rows.js';
import { writeAudit } from './pg-audit.js';
import type { PgDatabase } from './postgres-database.js';
import { reachPostgres } from './postgres-unavailable.js';

const { accounts, adminTokens, apiKeys, operations } = schema;



/** Whether `error` is PostgreSQL's unique violation of the index `index`. */
function violates(error: unknown, index: string): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const { code, constraint_name } = current as { code?: unknown; constraint_name?: unknown };
    if (code === '23505' && constraint_name === index) return true;
  }
  return false;
}

// The first key of pg_advisory_xact_lock(int, int) for "an account's keys"; the second is a hash of the account.
// (Two-key advisory locks never collide with the one-bigint migration lock.)
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
      .where(or(eq(apiKeys.applicationId, value), eq(apiKeys.previousApplicationId, value)))
      .limit(1)
      .prepare('keymint_key_by_application_id');
    this.keyBySecretHash = db
      .select()
      .from(apiKeys)
      .where(or(eq(apiKeys.secretHash, value), eq(apiKeys.previousSecretHash, value)))
      .limit(1)
      .prepare('keymint_key_by_secret_hash');
  }

  createAccount(account: AccountRecord, operation: OperationRecord): Promise<void> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        await tx.insert(accounts).values(account);
        await writeAudit(tx, operation);
      }),
    );
  }

  getAccount(accountId: string): Promise<AccountRecord | null> {
    return reachPostgres(async () => {
      const rows = await this.db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
      return rows[0] ?? null;
    });
  }

  listAccounts(query: { after?: string; limit: number }): Promise<Page<AccountRecord>> {
    return reachPostgres(async () => {
      const rows = await this.db
        .select()
        .from(accounts)
        .where(query.after ? gt(accounts.id, query.after) : undefined)
        .orderBy(asc(accounts.id))
        .limit(query.limit + 1);
      return page(rows, query.limit);
    });
  }

  createAdminToken(token: AdminTokenRecord, operation: OperationRecord): Promise<void> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        await tx.insert(adminTokens).values(token);
        await writeAudit(tx, operation);
      }),
    );
  }

  findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | null> {
    return reachPostgres(async () => {
      const rows = await this.db.select().from(adminTokens).where(eq(adminTokens.tokenHash, tokenHash)).limit(1);
      return rows[0] ?? null;
    });
  }

  listAdminTokens(accountId: string): Promise<AdminTokenRecord[]> {
    return reachPostgres(() =>
      this.db.select().from(adminTokens).where(eq(adminTokens.accountId, accountId)).orderBy(asc(adminTokens.id)),
    );
  }

  deleteAdminToken(accountId: string, tokenId: string, operation: OperationRecord): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        const deleted = await tx
          .delete(adminTokens)
          .where(and(eq(adminTokens.id, tokenId), eq(adminTokens.accountId, accountId)))
          .returning({ id: adminTokens.id });
        if (deleted.length === 0) return false;
        await writeAudit(tx, operation);
        return true;
      }),
    );
  }

  touchAdminToken(tokenId: string, lastUsedAt: number): Promise<void> {
    return reachPostgres(async () => void (await this.db.update(adminTokens).set({ lastUsedAt }).where(eq(adminTokens.id, tokenId))));
  }

  async insertKey(key: KeyRecord, limits: KeyLimits, operation: OperationRecord): Promise<Result<void, KeyInsertRefusal>> {
    try {
      return await reachPostgres(() =>
        this.db.transaction(async (tx) => {
          // Under READ COMMITTED two concurrent creates could both count below a limit. The advisory lock on the
          // account makes its creates take turns until commit (both environments: the account cap spans them);
          // each statement's snapshot is taken after the lock is granted, so it counts every key committed before.
          await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LIMIT_LOCK}, hashtext(${key.accountId}))`);
          const [counts] = await tx
            .select({
              inEnvironment: sql<number>`count(*) filter (where ${apiKeys.environment} = ${key.environment})`.mapWith(Number),
              inAccount: sql<number>`count(*)`.mapWith(Number),
              named: sql<number>`count(*) filter (where ${apiKeys.environment} = ${key.environment} and ${apiKeys.name} = ${key.name})`.mapWith(Number),
            })
            .from(apiKeys)
            .where(eq(apiKeys.accountId, key.accountId));
          if (counts!.inEnvironment >= limits.perEnvironment) return fail('limit_exceeded');
          if (limits.perAccount !== undefined && counts!.inAccount >= limits.perAccount) return fail('account_limit_exceeded');
          if (counts!.named > 0) return fail('name_taken');
          await tx.insert(apiKeys).values(toKeyRow(key));
          await writeAudit(tx, operation);
          return ok(undefined);
        }),
      );
    } catch (error) {
      // A rename (not under the lock) took the name between the count and the insert.
      if (violates(error, 'api_keys_name')) return fail('name_taken');
      throw error;
    }
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

  findKeyByApplicationId(applicationId: string): Promise<KeyMatch | null> {
    return reachPostgres(async () => {
      const rows = await this.keyByApplicationId.execute({ value: applicationId });
      return matchOf(rows[0], applicationId, 'applicationId');
    });
  }

  findKeyBySecretHash(secretHash: string): Promise<KeyMatch | null> {
    return reachPostgres(async () => {
      const rows = await this.keyBySecretHash.execute({ value: secretHash });
      return matchOf(rows[0], secretHash, 'secretHash');
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

  async updateKey(
    accountId: string,
    keyId: string,
    changes: KeyChanges,
    operation: OperationRecord,
  ): Promise<Result<KeyRecord, 'not_found' | 'name_taken'>> {
    try {
      return await reachPostgres(() =>
        this.db.transaction(async (tx) => {
          const [row] = await tx
            .update(apiKeys)
            .set(toKeyColumnChanges(changes))
            .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
            .returning();
          if (!row) return fail('not_found');
          await writeAudit(tx, operation);
          return ok(toKeyRecord(row));
        }),
      );
    } catch (error) {
      // The unique index refused the rename; the transaction rolled back, audit entry and all.
      if (violates(error, 'api_keys_name')) return fail('name_taken');
      throw error;
    }
  }

  deleteKey(accountId: string, keyId: string, operation: OperationRecord): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        const deleted = await tx
          .delete(apiKeys)
          .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
          .returning({ id: apiKeys.id });
        if (deleted.length === 0) return false;
        await writeAudit(tx, operation);
        return true;
      }),
    );
  }

  touchKey(keyId: string, lastUsedAt: number, pair: KeyPair = 'current'): Promise<void> {
    return reachPostgres(async () => {
      if (pair === 'current') await this.db.update(apiKeys).set({ lastUsedAt }).where(eq(apiKeys.id, keyId));
      else {
        await this.db
          .update(apiKeys)
          .set({ previousLastUsedAt: lastUsedAt })
          .where(and(eq(apiKeys.id, keyId), sql`${apiKeys.previousApplicationId} is not null`));
      }
    });
  }

  recordOperation(operation: OperationRecord): Promise<void> {
    return reachPostgres(() => this.db.transaction((tx) => writeAudit(tx, operation)));
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
