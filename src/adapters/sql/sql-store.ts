// KeyStore over drizzle, for any SQLite dialect (better-sqlite3 on Node, D1 on Workers), and the executor
// both SQL stores (this one and SqlSigningKeyStore) run on.
import { and, asc, desc, eq, getTableColumns, gt, lt, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import * as schema from '../../../db/schema.js';
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
import { guardStore, type StoreName } from '../../ports/store-errors.js';

const { accounts, adminTokens, apiKeys, operations } = schema;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SqliteDatabase = BaseSQLiteDatabase<'sync' | 'async', any, typeof schema>;

/** How a dialect runs statements all-or-nothing: a transaction on better-sqlite3, `batch()` on D1. */
export interface SqlExecutor {
  db: SqliteDatabase;
  /** The backend, as StoreUnavailableError and metrics name it. */
  store: StoreName;
  /** Whether an error the driver threw means the database cannot be used right now (not a bad statement). */
  isOutage(error: unknown): boolean;
  /** Runs the statements atomically, in order; returns the number of rows each changed. */
  atomic(statements: SQLWrapper[]): Promise<number[]>;
  /**
   * Optional: the first row of a read-only query with `?` parameters, through a statement the dialect
   * prepares once, columns named as the query names them. Hot look-ups use it where present: drizzle's
   * generic row mapping cost ~30 µs per look-up inside the running gateway, twice the query itself.
   */
  first?(query: string, params: unknown[]): Promise<Record<string, unknown> | undefined>;
}

type KeyRow = typeof apiKeys.$inferSelect;

// Every api_keys column under its property name, derived from the schema so the two cannot drift apart.
const KEY_COLUMNS = Object.entries(getTableColumns(apiKeys))
  .map(([property, column]) => `"${column.name}" as "${property}"`)
  .join(', ');
const KEY_BY_APPLICATION_ID = `select ${KEY_COLUMNS} from "api_keys" where "application_id" = ? limit 1`;
const KEY_BY_SECRET_HASH = `select ${KEY_COLUMNS} from "api_keys" where "secret_hash" = ? limit 1`;

function toKeyRecord(row: KeyRow): KeyRecord {
  return { ...row, scopes: JSON.parse(row.scopes) as string[] };
}

function insertOperation(operation: OperationRecord, onlyIf?: SQL): SQL {
  const values = sql`${operation.id}, ${operation.accountId}, ${operation.environment}, ${operation.keyId}, ${operation.action}, ${operation.actor}, ${operation.at}`;
  return sql`insert into ${operations} (id, account_id, environment, key_id, action, actor, at) select ${values} where ${onlyIf ?? sql`1`}`;
}

function keyExists(accountId: string, keyId: string): SQL {
  return sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${keyId} and ${apiKeys.accountId} = ${accountId})`;
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
}

/** Runs one operation of a SQL store, raising the driver's outage errors as StoreUnavailableError. */
export function guardedBy(executor: SqlExecutor): <T>(work: () => Promise<T>) => Promise<T> {
  return (work) => guardStore(executor.store, work, executor.isOutage);
}

/** The driver's error and its causes (drizzle wraps a driver's error in DrizzleQueryError). */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link = error; link !== undefined && chain.length < 5; link = (link as { cause?: unknown } | null)?.cause) {
    chain.push(link);
  }
  return chain;
}

export class SqlKeyStore implements KeyStore {
  private readonly db: SqliteDatabase;
  // The look-ups every token request and Api-Key call makes, prepared once: building the query with
  // drizzle and preparing it in SQLite was a tenth of the token endpoint's CPU time.
  private readonly keyByApplicationId;
  private readonly keyBySecretHash;
  private readonly guarded: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(private readonly executor: SqlExecutor) {
    this.db = executor.db;
    this.guarded = guardedBy(executor);
    const value = sql.placeholder('value');
    this.keyByApplicationId = this.db.select().from(apiKeys).where(eq(apiKeys.applicationId, value)).limit(1).prepare();
    this.keyBySecretHash = this.db.select().from(apiKeys).where(eq(apiKeys.secretHash, value)).limit(1).prepare();
  }

  createAccount(account: AccountRecord, operation: OperationRecord): Promise<void> {
    return this.guarded(async () => {
      await this.executor.atomic([this.db.insert(accounts).values(account), insertOperation(operation)]);
    });
  }

  getAccount(accountId: string): Promise<AccountRecord | null> {
    return this.guarded(async () => {
      const rows = await this.db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
      return rows[0] ?? null;
    });
  }

  createAdminToken(token: AdminTokenRecord, operation: OperationRecord): Promise<void> {
    return this.guarded(async () => {
      await this.executor.atomic([this.db.insert(adminTokens).values(token), insertOperation(operation)]);
    });
  }

  findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | null> {
    return this.guarded(async () => {
      const rows = await this.db.select().from(adminTokens).where(eq(adminTokens.tokenHash, tokenHash)).limit(1);
      return rows[0] ?? null;
    });
  }

  insertKey(key: KeyRecord, limit: number, operation: OperationRecord): Promise<boolean> {
    return this.guarded(async () => {
      // One conditional INSERT: the count and the insert happen under SQLite's single write lock,
      // so concurrent creates cannot both slip under the limit (D1 included, which has no transactions).
      const insert = sql`insert into ${apiKeys}
        (id, account_id, environment, name, application_id, secret_hash, secret_hint, scopes, status, expires_at, created_at, updated_at, last_used_at)
        select ${key.id}, ${key.accountId}, ${key.environment}, ${key.name}, ${key.applicationId}, ${key.secretHash},
          ${key.secretHint}, ${JSON.stringify(key.scopes)}, ${key.status}, ${key.expiresAt}, ${key.createdAt}, ${key.updatedAt}, null
        where (select count(*) from ${apiKeys} where ${apiKeys.accountId} = ${key.accountId} and ${apiKeys.environment} = ${key.environment}) < ${limit}`;
      const [inserted] = await this.executor.atomic([insert, insertOperation(operation, keyExists(key.accountId, key.id))]);
      return inserted === 1;
    });
  }

  getKey(accountId: string, keyId: string): Promise<KeyRecord | null> {
    return this.guarded(async () => {
      const rows = await this.db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)))
        .limit(1);
      return rows[0] ? toKeyRecord(rows[0]) : null;
    });
  }

  findKeyByApplicationId(applicationId: string): Promise<KeyRecord | null> {
    return this.guarded(async () => {
      if (this.executor.first) return this.firstKey(KEY_BY_APPLICATION_ID, applicationId);
      const rows = await this.keyByApplicationId.all({ value: applicationId });
      return rows[0] ? toKeyRecord(rows[0]) : null;
    });
  }

  findKeyBySecretHash(secretHash: string): Promise<KeyRecord | null> {
    return this.guarded(async () => {
      if (this.executor.first) return this.firstKey(KEY_BY_SECRET_HASH, secretHash);
      const rows = await this.keyBySecretHash.all({ value: secretHash });
      return rows[0] ? toKeyRecord(rows[0]) : null;
    });
  }

  private async firstKey(query: string, value: string): Promise<KeyRecord | null> {
    const row = await this.executor.first!(query, [value]);
    return row ? toKeyRecord(row as KeyRow) : null;
  }

  listKeys(
    accountId: string,
    query: { environment?: Environment; after?: string; limit: number },
  ): Promise<Page<KeyRecord>> {
    return this.guarded(async () => {
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

  updateKey(
    accountId: string,
    keyId: string,
    changes: KeyChanges,
    operation: OperationRecord,
  ): Promise<KeyRecord | null> {
    return this.guarded(async () => {
      const { scopes, ...rest } = changes;
      const update = this.db
        .update(apiKeys)
        .set({ ...rest, ...(scopes && { scopes: JSON.stringify(scopes) }) })
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)));
      const [changed] = await this.executor.atomic([update, insertOperation(operation, keyExists(accountId, keyId))]);
      return changed === 1 ? this.getKey(accountId, keyId) : null;
    });
  }

  deleteKey(accountId: string, keyId: string, operation: OperationRecord): Promise<boolean> {
    return this.guarded(async () => {
      const remove = this.db.delete(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)));
      const [, deleted] = await this.executor.atomic([insertOperation(operation, keyExists(accountId, keyId)), remove]);
      return deleted === 1;
    });
  }

  touchKey(keyId: string, lastUsedAt: number): Promise<void> {
    return this.guarded(async () => {
      await this.db.update(apiKeys).set({ lastUsedAt }).where(eq(apiKeys.id, keyId));
    });
  }

  recordOperation(operation: OperationRecord): Promise<void> {
    return this.guarded(async () => {
      await this.executor.atomic([insertOperation(operation)]);
    });
  }

  listOperations(accountId: string, query: { after?: string; limit: number }): Promise<Page<OperationRecord>> {
    return this.guarded(async () => {
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
