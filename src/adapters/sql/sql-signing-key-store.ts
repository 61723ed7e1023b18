// SigningKeyStore over drizzle, on the same SQL executor (and database) as SqlKeyStore.
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import * as schema from '../../../db/schema.js';
import type { Environment } from '../../shared/domain.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../ports/signing-key-store.js';
import { guardedBy, type SqlExecutor, type SqliteDatabase } from './sql-store.js';

const { signingKeys } = schema;

// Correlated conditions need the table under another name in SQLite.
const other = sql.raw('"other"');
const stillPending = (kid: string) =>
  sql`exists (select 1 from ${signingKeys} as ${other} where ${other}."kid" = ${kid} and ${other}."status" = 'pending')`;
const noActiveBeside = (pendingKid: string) =>
  sql`not exists (select 1 from ${signingKeys} as ${other} where ${other}."status" = 'active' and ${other}."environment" = (select "environment" from ${signingKeys} as "mine" where "mine"."kid" = ${pendingKid}))`;
const noActiveIn = (environment: string) =>
  sql`not exists (select 1 from ${signingKeys} as ${other} where ${other}."status" = 'active' and ${other}."environment" = ${environment})`;

export class SqlSigningKeyStore implements SigningKeyStore {
  private readonly db: SqliteDatabase;
  private readonly guarded: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(private readonly executor: SqlExecutor) {
    this.db = executor.db;
    this.guarded = guardedBy(executor);
  }

  listSigningKeys(environment: Environment): Promise<SigningKeyRecord[]> {
    return this.guarded(() =>
      this.db.select().from(signingKeys).where(eq(signingKeys.environment, environment)).orderBy(asc(signingKeys.createdAt)),
    );
  }

  insertActiveSigningKey(key: SigningKeyRecord): Promise<boolean> {
    return this.guarded(async () => {
      // The partial unique index (one active key per environment) turns a racing second insert into a no-op.
      const [inserted] = await this.executor.atomic([this.db.insert(signingKeys).values(key).onConflictDoNothing()]);
      return inserted === 1;
    });
  }

  insertPendingSigningKey(key: SigningKeyRecord): Promise<boolean> {
    return this.guarded(async () => {
      // The partial unique index (one pending key per environment) lets one of several racing nodes publish it.
      const [inserted] = await this.executor.atomic([this.db.insert(signingKeys).values(key).onConflictDoNothing()]);
      return inserted === 1;
    });
  }

  activatePendingSigningKey(pendingKid: string, retiringKid: string, retiredAt: number, publishUntil: number): Promise<boolean> {
    return this.guarded(async () => {
      // One batch, one write lock: the active key is retired only while the pending one is still there, and the
      // pending one made active only once no key is active (so never two, and never none).
      const [retired, activated] = await this.executor.atomic([
        this.db
          .update(signingKeys)
          .set({ status: 'retired', retiredAt, publishUntil })
          .where(and(eq(signingKeys.kid, retiringKid), eq(signingKeys.status, 'active'), stillPending(pendingKid))),
        this.db
          .update(signingKeys)
          .set({ status: 'active' })
          .where(and(eq(signingKeys.kid, pendingKid), eq(signingKeys.status, 'pending'), noActiveBeside(pendingKid))),
      ]);
      return retired === 1 && activated === 1;
    });
  }

  rotateSigningKey(retiringKid: string, retiredAt: number, publishUntil: number, next: SigningKeyRecord): Promise<boolean> {
    return this.guarded(async () => {
      const retire = this.db
        .update(signingKeys)
        .set({ status: 'retired', retiredAt, publishUntil })
        .where(and(eq(signingKeys.kid, retiringKid), eq(signingKeys.status, 'active')));
      // Only when this rotation retired the active key (no key is active any more): a compromise leaves no key
      // from before it to become active later.
      const dropPending = this.db
        .delete(signingKeys)
        .where(and(eq(signingKeys.environment, next.environment), eq(signingKeys.status, 'pending'), noActiveIn(next.environment)));
      // When another process rotated first, nothing is retired and the unique index refuses a second active key.
      const [retired, , inserted] = await this.executor.atomic([
        retire,
        dropPending,
        this.db.insert(signingKeys).values(next).onConflictDoNothing(),
      ]);
      return retired === 1 && inserted === 1;
    });
  }

  deleteUnpublishedSigningKeys(environment: Environment, now: number): Promise<void> {
    return this.guarded(async () => {
      await this.db
        .delete(signingKeys)
        .where(
          and(
            eq(signingKeys.environment, environment),
            eq(signingKeys.status, 'retired'),
            lte(signingKeys.publishUntil, now),
          ),
        );
    });
  }
}
