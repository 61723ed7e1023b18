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

  insertPendingSigningKey(key: SigningKeyRecord): Promise<boolean> {
    // The partial unique index (one pending key per environment) lets one of several racing nodes publish it.
    return reachPostgres(async () => {
      const inserted = await this.db.insert(signingKeys).values(key).onConflictDoNothing().returning({ kid: signingKeys.kid });
      return inserted.length === 1;
    });
  }

  activatePendingSigningKey(pendingKid: string, retiringKid: string, retiredAt: number, publishUntil: number): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        // The pending row is locked first, then the active one, as a compromise rotation does (no deadlock): a
        // racing activation waits here and then finds it active; a racing rotation waits here or finds it gone.
        const pending = await tx
          .select({ kid: signingKeys.kid })
          .from(signingKeys)
          .where(and(eq(signingKeys.kid, pendingKid), eq(signingKeys.status, 'pending')))
          .for('update');
        if (pending.length === 0) return false;
        const retired = await tx
          .update(signingKeys)
          .set({ status: 'retired', retiredAt, publishUntil })
          .where(and(eq(signingKeys.kid, retiringKid), eq(signingKeys.status, 'active')))
          .returning({ kid: signingKeys.kid });
        if (retired.length === 0) return false;
        await tx.update(signingKeys).set({ status: 'active' }).where(eq(signingKeys.kid, pendingKid));
        return true;
      }),
    );
  }

  rotateSigningKey(retiringKid: string, retiredAt: number, publishUntil: number, next: SigningKeyRecord): Promise<boolean> {
    return reachPostgres(() =>
      this.db.transaction(async (tx) => {
        // Locks in the order an activation takes them: the environment's pending key, then the active one.
        await tx
          .select({ kid: signingKeys.kid })
          .from(signingKeys)
          .where(and(eq(signingKeys.environment, next.environment), eq(signingKeys.status, 'pending')))
          .for('update');
        // A second rotation racing this one waits on the retiring row's lock, then finds it no longer active and
        // changes nothing.
        const retired = await tx
          .update(signingKeys)
          .set({ status: 'retired', retiredAt, publishUntil })
          .where(and(eq(signingKeys.kid, retiringKid), eq(signingKeys.status, 'active')))
          .returning({ kid: signingKeys.kid });
        if (retired.length === 0) return false;
        // A compromise leaves no key made before it to become active later.
        await tx.delete(signingKeys).where(and(eq(signingKeys.environment, next.environment), eq(signingKeys.status, 'pending')));
        const inserted = await tx.insert(signingKeys).values(next).onConflictDoNothing().returning({ kid: signingKeys.kid });
        return inserted.length === 1;
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
