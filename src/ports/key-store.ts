// KeyStore: accounts, admin tokens, API access keys and the audit log, in one transactional store.
import type { Environment } from '../shared/domain.js';

export type AdminRole = 'manager' | 'viewer';
export type KeyStatus = 'active' | 'disabled';

export interface AccountRecord {
  id: string;
  name: string;
  createdAt: number;
}

export interface AdminTokenRecord {
  id: string;
  accountId: string;
  name: string;
  role: AdminRole;
  tokenHash: string;
  createdAt: number;
}

export interface KeyRecord {
  id: string;
  accountId: string;
  environment: Environment;
  name: string;
  applicationId: string;
  secretHash: string;
  secretHint: string;
  scopes: string[];
  status: KeyStatus;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
}

export type OperationAction =
  | 'account.created'
  | 'admin_token.created'
  | 'key.created'
  | 'key.updated'
  | 'key.regenerated'
  | 'key.disabled'
  | 'key.enabled'
  | 'key.deleted'
  | 'key.sessions_revoked'
  | 'signing_key.rotated';

export interface OperationRecord {
  id: string;
  accountId: string | null;
  environment: Environment | null;
  keyId: string | null;
  action: OperationAction;
  actor: string;
  at: number;
}

export type KeyChanges = Partial<
  Pick<KeyRecord, 'name' | 'scopes' | 'expiresAt' | 'status' | 'applicationId' | 'secretHash' | 'secretHint'>
> & { updatedAt: number };

export interface Page<T> {
  items: T[];
  /** The id to continue after, when there may be more. */
  next: string | null;
}

export interface KeyStore {
  /** Each write below commits together with its audit entry, or not at all. */
  createAccount(account: AccountRecord, operation: OperationRecord): Promise<void>;
  getAccount(accountId: string): Promise<AccountRecord | null>;
  createAdminToken(token: AdminTokenRecord, operation: OperationRecord): Promise<void>;
  findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | null>;

  /** Inserts the key unless the account already holds `limit` keys in its environment (false then). */
  insertKey(key: KeyRecord, limit: number, operation: OperationRecord): Promise<boolean>;
  getKey(accountId: string, keyId: string): Promise<KeyRecord | null>;
  findKeyByApplicationId(applicationId: string): Promise<KeyRecord | null>;
  /** The key whose secret has this HMAC (the proxy's `Api-Key` calls carry a secret alone). */
  findKeyBySecretHash(secretHash: string): Promise<KeyRecord | null>;
  listKeys(
    accountId: string,
    query: { environment?: Environment; after?: string; limit: number },
  ): Promise<Page<KeyRecord>>;
  /** Applies the changes to the account's key; null when there is no such key. */
  updateKey(accountId: string, keyId: string, changes: KeyChanges, operation: OperationRecord): Promise<KeyRecord | null>;
  deleteKey(accountId: string, keyId: string, operation: OperationRecord): Promise<boolean>;
  /** Best-effort bookkeeping, off the request path; never audited. */
  touchKey(keyId: string, lastUsedAt: number): Promise<void>;

  recordOperation(operation: OperationRecord): Promise<void>;
  listOperations(accountId: string, query: { after?: string; limit: number }): Promise<Page<OperationRecord>>;
}
