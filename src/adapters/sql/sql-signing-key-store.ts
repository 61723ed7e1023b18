// SigningKeyStore over drizzle, on the same SQL executor (and database) as SqlKeyStore.
import { and, asc, eq, lte } from 'drizzle-orm';
import * as schema from '../../../db/schema.js';
import type { Environment } from '../../shared/domain.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../ports/signing-key-store.js';
import { guardedBy, type SqlExecutor, type SqliteDatabase } from './sql-store.js';

const { signingKeys } = schema;

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

  rotateSigningKey(retiringKid: string, retiredAt: number, publishUntil: number, next: SigningKeyRecord): Promise<boolean> {
    return this.guarded(async () => {
      const retire = this.db
        .update(signingKeys)
        .set({ status: 'retired', retiredAt, publishUntil })
        .where(and(eq(signingKeys.kid, retiringKid), eq(signingKeys.status, 'active')));
      // When another process rotated first, nothing is retired and the unique index refuses a second active key.
      const [retired, inserted] = await this.executor.atomic([
        retire,
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
