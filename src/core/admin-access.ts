// Who is calling the admin API, and what each caller may do.
import type { AdminRole, AdminTokenRecord, KeyStore } from '../ports/key-store.js';
import { timingSafeEqual } from '../shared/encoding.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { SecretHasher } from './secrets.js';

export type Actor =
  | { kind: 'root' }
  | { kind: 'account-admin'; tokenId: string; accountId: string; role: AdminRole; /** The token's name, for people to read. */ name: string };

/** What a route needs: reading an account, managing its keys, or the operator alone. */
export type Permission = 'read' | 'manage' | 'root';

export function actorName(actor: Actor): string {
  return actor.kind === 'root' ? 'root' : actor.tokenId;
}

/** An admin token that authenticated: who it stands for, and its keyed hash (what the console keeps instead of it). */
export interface AdminIdentity {
  actor: Actor;
  credential: string;
}

export interface AdminAccess {
  authenticate(token: string): Promise<Result<Actor, 'unknown_token'>>;
  identify(token: string): Promise<Result<AdminIdentity, 'unknown_token'>>;
  /** Who a credential from `identify` stands for now; fails once its token no longer authenticates. */
  reauthenticate(credential: string): Promise<Result<Actor, 'unknown_token'>>;
}

export async function createAdminAccess(deps: {
  keys: KeyStore;
  hasher: SecretHasher;
  rootToken: string;
  /** Told of every use of an account admin token, to record its lastUsedAt (off the request path). */
  onTokenUsed?: (token: AdminTokenRecord) => void;
}): Promise<AdminAccess> {
  const rootHash = await deps.hasher.hash(deps.rootToken);
  async function reauthenticate(credential: string): Promise<Result<Actor, 'unknown_token'>> {
    if (timingSafeEqual(credential, rootHash)) return ok({ kind: 'root' });
    const record: AdminTokenRecord | null = await deps.keys.findAdminTokenByHash(credential);
    if (!record) return fail('unknown_token');
    deps.onTokenUsed?.(record);
    return ok({ kind: 'account-admin', tokenId: record.id, accountId: record.accountId, role: record.role, name: record.name });
  }
  async function identify(token: string): Promise<Result<AdminIdentity, 'unknown_token'>> {
    if (token.length < 16 || token.length > 512) return fail('unknown_token');
    const credential = await deps.hasher.hash(token);
    const actor = await reauthenticate(credential);
    return actor.ok ? ok({ actor: actor.value, credential }) : actor;
  }
  return {
    async authenticate(token) {
      const identity = await identify(token);
      return identity.ok ? ok(identity.value.actor) : identity;
    },
    identify,
    reauthenticate,
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
