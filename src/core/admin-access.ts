// Who is calling the admin API, and what each caller may do.
import type { AdminRole, AdminTokenRecord, KeyStore } from '../ports/key-store.js';
import { timingSafeEqual } from '../shared/encoding.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { SecretHasher } from './secrets.js';

export type Actor =
  | { kind: 'root' }
  | { kind: 'account-admin'; tokenId: string; accountId: string; role: AdminRole };

/** What a route needs: reading an account, managing its keys, or the operator alone. */
export type Permission = 'read' | 'manage' | 'root';

export function actorName(actor: Actor): string {
  return actor.kind === 'root' ? 'root' : actor.tokenId;
}

export interface AdminAccess {
  authenticate(token: string): Promise<Result<Actor, 'unknown_token'>>;
}

export async function createAdminAccess(deps: {
  keys: KeyStore;
  hasher: SecretHasher;
  rootToken: string;
}): Promise<AdminAccess> {
  const rootHash = await deps.hasher.hash(deps.rootToken);
  return {
    async authenticate(token) {
      if (token.length < 16 || token.length > 512) return fail('unknown_token');
      const presented = await deps.hasher.hash(token);
      if (timingSafeEqual(presented, rootHash)) return ok({ kind: 'root' });
      const record: AdminTokenRecord | null = await deps.keys.findAdminTokenByHash(presented);
      if (!record) return fail('unknown_token');
      return ok({ kind: 'account-admin', tokenId: record.id, accountId: record.accountId, role: record.role });
    },
  };
}

/** Whether `actor` may act on `accountId` with `permission`; an account it does not cover is `forbidden`. */
export function authorize(actor: Actor, permission: Permission, accountId?: string): Result<void, 'forbidden'> {
  if (actor.kind === 'root') return ok(undefined);
  if (permission === 'root') return fail('forbidden', 'only the operator root token may do this');
  if (accountId !== actor.accountId) return fail('forbidden', 'this admin token does not cover that account');
  if (permission === 'manage' && actor.role !== 'manager') return fail('forbidden', 'a viewer token may only read');
  return ok(undefined);
}
