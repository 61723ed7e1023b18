// KeyStore over drizzle, for any SQLite dialect (better-sqlite3 on Node, D1 on Workers), and the executor
// both SQL stores (this one and SqlSigningKeyStore) run on.
import { and, asc, desc, eq, getTableColumns, gt, lt, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { BaseSQLiteDatabase, SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as schema from '../../../db/schema.js';
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
import { guardStore, type StoreName } from '../../ports/store-errors.js';
import { matchOf, page, toKeyColumnChanges, toKeyRecord, toKeyRow, type KeyRow } from '../key-rows.js';
import { auditStatements } from './sql-audit.js';

const { accounts, adminTokens, apiKeys } = schema;

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

// Every api_keys column under its property name, derived from the schema so the two cannot drift apart.
const KEY_COLUMNS = Object.entries(getTableColumns(apiKeys))
  .map(([property, column]) => `"${column.name}" as "${property}"`)
  .join(', ');
// A key by its current or its previous pair (the previous one only during a roll with overlap).
const KEY_BY_APPLICATION_ID = `select ${KEY_COLUMNS} from "api_keys" where "application_id" = ? or "previous_application_id" = ? limit 1`;
const KEY_BY_SECRET_HASH = `select ${KEY_COLUMNS} from "api_keys" where "secret_hash" = ? or "previous_secret_hash" = ? limit 1`;


/**
 * `insert into table (…) select … where condition`: one statement, so the condition (a count under a limit, a name
 * not taken) is read under SQLite's single write lock together with the insert — atomic on D1 too.
 */
export function insertRowIf(table: SQLiteTable, row: object, condition: SQL): SQL {
  const columns = getTableColumns(table);
  const names = sql.join(
    Object.keys(row).map((property) => sql.identifier(columns[property]!.name)),
    sql`, `,
  );
  const values = sql.join(
    Object.values(row).map((value) => sql`${value}`),
    sql`, `,
  );
  return sql`insert into ${table} (${names}) select ${values} where ${condition}`;
}

function keyExists(accountId: string, keyId: string): SQL {
  return sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${keyId} and ${apiKeys.accountId} = ${accountId})`;
}

/** Another key of the account in `environment` already has `name` (`exceptKeyId`: the key being renamed). */
function nameTaken(accountId: string, environment: SQL | Environment, name: string, exceptKeyId?: string): SQL {
  return sql`exists (select 1 from ${apiKeys} other where other.account_id = ${accountId} and other.environment = ${environment}
    and other.name = ${name}${exceptKeyId === undefined ? sql`` : sql` and other.id <> ${exceptKeyId}`})`;
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

// Times a refused insert is retried when, read afterwards, none of the reasons holds any more (a key deleted or
// renamed in between): the refusal named must be one that held.
const INSERT_ATTEMPTS = 3;

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
    this.keyByApplicationId = this.db
      .select()
      .from(apiKeys)
      .where(or(eq(apiKeys.applicationId, value), eq(apiKeys.previousApplicationId, value)))
      .limit(1)
      .prepare();
    this.keyBySecretHash = this.db
      .select()
      .from(apiKeys)
      .where(or(eq(apiKeys.secretHash, value), eq(apiKeys.previousSecretHash, value)))
      .limit(1)
      .prepare();
  }

  createAccount(account: AccountRecord, operation: OperationRecord): Promise<void> {
    return this.guarded(async () => {
      await this.executor.atomic([this.db.insert(accounts).values(account), ...auditStatements(operation)]);
    });
  }

  getAccount(accountId: string): Promise<AccountRecord | null> {
    return this.guarded(async () => {
      const rows = await this.db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
      return rows[0] ?? null;
    });
  }

  listAccounts(query: { after?: string; limit: number }): Promise<Page<AccountRecord>> {
    return this.guarded(async () => {
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
    return this.guarded(async () => {
      await this.executor.atomic([this.db.insert(adminTokens).values(token), ...auditStatements(operation)]);
    });
  }

  findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | null> {
    return this.guarded(async () => {
      const rows = await this.db.select().from(adminTokens).where(eq(adminTokens.tokenHash, tokenHash)).limit(1);
      return rows[0] ?? null;
    });
  }

  listAdminTokens(accountId: string): Promise<AdminTokenRecord[]> {
    return this.guarded(() =>
      this.db.select().from(adminTokens).where(eq(adminTokens.accountId, accountId)).orderBy(asc(adminTokens.id)),
    );
  }

  deleteAdminToken(accountId: string, tokenId: string, operation: OperationRecord): Promise<boolean> {
    return this.guarded(async () => {
      const exists = sql`exists (select 1 from ${adminTokens} where ${adminTokens.id} = ${tokenId} and ${adminTokens.accountId} = ${accountId})`;
      const remove = this.db.delete(adminTokens).where(and(eq(adminTokens.id, tokenId), eq(adminTokens.accountId, accountId)));
      const changed = await this.executor.atomic([...auditStatements(operation, exists), remove]);
      return changed.at(-1) === 1;
    });
  }

  touchAdminToken(tokenId: string, lastUsedAt: number): Promise<void> {
    return this.guarded(async () => {
      await this.db.update(adminTokens).set({ lastUsedAt }).where(eq(adminTokens.id, tokenId));
    });
  }

  insertKey(key: KeyRecord, limits: KeyLimits, operation: OperationRecord): Promise<Result<void, KeyInsertRefusal>> {
    return this.guarded(async () => {
      // One conditional INSERT: the counts, the name check and the insert happen under SQLite's single write
      // lock, so concurrent creates cannot both slip through (D1 included, which has no transactions).
      const accountCap =
        limits.perAccount === undefined
          ? sql`1`
          : sql`(select count(*) from ${apiKeys} where ${apiKeys.accountId} = ${key.accountId}) < ${limits.perAccount}`;
      const insert = insertRowIf(
        apiKeys,
        toKeyRow(key),
        sql`(select count(*) from ${apiKeys} where ${apiKeys.accountId} = ${key.accountId} and ${apiKeys.environment} = ${key.environment}) < ${limits.perEnvironment}
          and ${accountCap}
          and not ${nameTaken(key.accountId, key.environment, key.name)}`,
      );
      for (let attempt = 1; ; attempt++) {
        const [inserted] = await this.executor.atomic([insert, ...auditStatements(operation, keyExists(key.accountId, key.id))]);
        if (inserted === 1) return ok(undefined);
        const refusal = await this.insertRefusal(key, limits);
        if (refusal) return fail(refusal);
        if (attempt === INSERT_ATTEMPTS) throw new Error(`key ${key.id} was refused, but no limit or name explains it`);
      }
    });
  }

  /** Why an insert of `key` is refused now, if it is. */
  private async insertRefusal(key: KeyRecord, limits: KeyLimits): Promise<KeyInsertRefusal | null> {
    const [counts] = await this.db
      .select({
        inEnvironment: sql<number>`count(case when ${apiKeys.environment} = ${key.environment} then 1 end)`,
        inAccount: sql<number>`count(*)`,
        named: sql<number>`count(case when ${apiKeys.environment} = ${key.environment} and ${apiKeys.name} = ${key.name} then 1 end)`,
      })
      .from(apiKeys)
      .where(eq(apiKeys.accountId, key.accountId));
    if (counts!.inEnvironment >= limits.perEnvironment) return 'limit_exceeded';
    if (limits.perAccount !== undefined && counts!.inAccount >= limits.perAccount) return 'account_limit_exceeded';
    if (counts!.named > 0) return 'name_taken';
    return null;
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

  findKeyByApplicationId(applicationId: string): Promise<KeyMatch | null> {
    return this.guarded(async () => {
      const row = this.executor.first
        ? await this.executor.first(KEY_BY_APPLICATION_ID, [applicationId, applicationId])
        : (await this.keyByApplicationId.all({ value: applicationId }))[0];
      return matchOf(row as KeyRow | undefined, applicationId, 'applicationId');
    });
  }

  findKeyBySecretHash(secretHash: string): Promise<KeyMatch | null> {
    return this.guarded(async () => {
      const row = this.executor.first
        ? await this.executor.first(KEY_BY_SECRET_HASH, [secretHash, secretHash])
        : (await this.keyBySecretHash.all({ value: secretHash }))[0];
      return matchOf(row as KeyRow | undefined, secretHash, 'secretHash');
    });
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
  ): Promise<Result<KeyRecord, 'not_found' | 'name_taken'>> {
    return this.guarded(async () => {
      const target = and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId));
      // A rename onto another key's name is refused by the same statement (the unique index stands behind it).
      const environment = sql`(select ${apiKeys.environment} from ${apiKeys} where ${apiKeys.id} = ${keyId})`;
      const renameFree = changes.name === undefined ? undefined : sql`not ${nameTaken(accountId, environment, changes.name, keyId)}`;
      const update = this.db.update(apiKeys).set(toKeyColumnChanges(changes)).where(and(target, renameFree));
      // The audit entry's condition, checked after the update: the key exists and holds the new name.
      const applied =
        changes.name === undefined
          ? keyExists(accountId, keyId)
          : sql`exists (select 1 from ${apiKeys} where ${apiKeys.id} = ${keyId} and ${apiKeys.accountId} = ${accountId} and ${apiKeys.name} = ${changes.name})`;
      const [changed] = await this.executor.atomic([update, ...auditStatements(operation, applied)]);
      const key = await this.getKey(accountId, keyId);
      if (changed === 1 && key) return ok(key);
      return key ? fail('name_taken') : fail('not_found');
    });
  }

  deleteKey(accountId: string, keyId: string, operation: OperationRecord): Promise<boolean> {
    return this.guarded(async () => {
      const remove = this.db.delete(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)));
      const changed = await this.executor.atomic([...auditStatements(operation, keyExists(accountId, keyId)), remove]);
      return changed.at(-1) === 1;
    });
  }

  touchKey(keyId: string, lastUsedAt: number, pair: KeyPair = 'current'): Promise<void> {
    return this.guarded(async () => {
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
    return this.guarded(async () => {
      await this.executor.atomic(auditStatements(operation));
    });
  }

  listOperations(accountId: string, query: { after?: string; limit: number }): Promise<Page<OperationRecord>> {
    return this.guarded(async () => {
      const rows = await this.db
        .select()
        .from(schema.operations)
        .where(and(eq(schema.operations.accountId, accountId), query.after ? lt(schema.operations.id, query.after) : undefined))
        .orderBy(desc(schema.operations.id))
        .limit(query.limit + 1);
      return page(rows as OperationRecord[], query.limit);
    });
  }
}
