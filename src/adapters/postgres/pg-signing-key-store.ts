// SigningKeyStore on PostgreSQL through drizzle; a partial unique index keeps one active key per environment.
import { and, asc, eq, lte } from 'drizzle-orm';
import { signingKeys } from '../../../db/pg/schema.js';
import type { Environment } from '../../shared/domain.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../ports/signing-key-store.js';
import type { PgDatabase } from './postgres-database.js';
import { reachPostgres } from './postgres-unavailable.js';

export class PgSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: PgDatabase) {}

  listSigningKeys(environment: Environment): Promise<SigningKeyRecord[]> {
    return reachPostgres(() =>
      this.db.select().from(signingKeys).where(eq(signingKeys.environment, environment)).orderBy(asc(signingKeys.createdAt)),
    );
  }

  insertActiveSigningKey(key: SigningKeyRecord): Promise<boolean> {
    // Nodes starting together all try; the partial unique index lets one insert win and the others do nothing
    // (a racing insert waits for the winner's transaction, then finds the conflict).
    return reachPostgres(async () => {
      const inserted = await this.db.insert(signingKeys).values(key).onConflictDoNothing().returning({ kid: signingKeys.kid });
      return inserted.length === 1;
    });
  }

  rotateSigningKey(retiringKid: string, retiredAt: number, publishUntil: number, next: SigningKeyRecord): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        // A second rotation racing this one waits on the retiring row's lock, then finds it no longer active;
        // its insert then meets this one's active key in the unique index and does nothing.
        const retired = await tx
          .update(signingKeys)
          .set({ status: 'retired', retiredAt, publishUntil })
          .where(and(eq(signingKeys.kid, retiringKid), eq(signingKeys.status, 'active')))
          .returning({ kid: signingKeys.kid });
        const inserted = await tx.insert(signingKeys).values(next).onConflictDoNothing().returning({ kid: signingKeys.kid });
        return retired.length === 1 && inserted.length === 1;
      }),
    );
  }

  deleteUnpublishedSigningKeys(environment: Environment, now: number): Promise<void> {
    return reachPostgres(async () => {
      await this.db
        .delete(signingKeys)
        .where(and(eq(signingKeys.environment, environment), eq(signingKeys.status, 'retired'), lte(signingKeys.publishUntil, now)));
    });
  }
}
