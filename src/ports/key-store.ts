// KeyStore: accounts, admin tokens, API access keys and the audit log, in one transactional store.
import type { Environment } from '../shared/domain.js';
import type { Result } from '../shared/result.js';
import type { Quota, RateLimit } from './key-limiter.js';

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
  /** Null until the token is first used (written at most once a minute, like a key's). */
  lastUsedAt: number | null;
}

/** How a key's client authenticates: its application secret, or an RFC 7523 assertion signed by one of its keys. */
export type KeyAuthMethod = 'client_secret' | 'private_key_jwt';

/** A public JWK Set as the store keeps it (JSON); core checks each key before it is stored and when it is used. */
export interface StoredJwks {
  keys: Array<Record<string, unknown>>;
}

/** The pair a regenerate with overlap replaced (SPEC §9): it keeps minting until `expiresAt`. */
export interface PreviousPair {
  applicationId: string;
  secretHash: string;
  secretHint: string;
  expiresAt: number;
  lastUsedAt: number | null;
}

export interface KeyRecord {
  id: string;
  accountId: string;
  environment: Environment;
  name: string;
  applicationId: string;
  /** The application secret's keyed hash and its last 4 characters; null for a private_key_jwt key. */
  secretHash: string | null;
  secretHint: string | null;
  scopes: string[];
  status: KeyStatus;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
  authMethod: KeyAuthMethod;
  /** A private_key_jwt key's public keys; null for a secret key. */
  jwks: StoredJwks | null;
  /** Whether the key may mint only DPoP-bound tokens (SPEC §8). */
  requireDpop: boolean;
  /** Limits on proxied calls and on minting (SPEC §7); null = none. */
  rateLimit: RateLimit | null;
  quota: Quota | null;
  tokenRateLimit: RateLimit | null;
  /** The replaced pair during a roll with overlap, else null. Core decides whether it is still usable. */
  previous: PreviousPair | null;
}

/** Which of a key's pairs a look-up matched: the current one, or the previous one of a roll with overlap. */
export type KeyPair = 'current' | 'previous';

export interface KeyMatch {
  key: KeyRecord;
  pair: KeyPair;
}

/** Every audited action; each is also a webhook event type (SPEC §9). */
export const OPERATION_ACTIONS = [
  'account.created',
  'admin_token.created',
  'admin_token.revoked',
  'key.created',
  'key.updated',
  'key.regenerated',
  'key.disabled',
  'key.enabled',
  'key.deleted',
  'key.sessions_revoked',
  'key.previous_retired',
  'signing_key.rotated',
  'webhook.created',
  'webhook.deleted',
] as const;

export type OperationAction = (typeof OPERATION_ACTIONS)[number];

export interface OperationRecord {
  id: string;
  accountId: string | null;
  environment: Environment | null;
  keyId: string | null;
  action: OperationAction;
  actor: string;
  at: number;
  /**
   * The webhook payload for this change (JSON text, built by core's `webhookEvent`). When present, the write
   * that records the operation also queues one delivery per webhook of the account subscribed to `action`, in
   * the same transaction. Written to the outbox only; the audit log does not read it back.
   */
  event?: string;
}

export type KeyChanges = Partial<
  Pick<
    KeyRecord,
    | 'name'
    | 'scopes'
    | 'expiresAt'
    | 'status'
    | 'applicationId'
    | 'secretHash'
    | 'secretHint'
    | 'authMethod'
    | 'jwks'
    | 'requireDpop'
    | 'rateLimit'
    | 'quota'
    | 'tokenRateLimit'
    | 'previous'
  >
> & { updatedAt: number };

/** The limits a new key must fit under, checked in the same atomic step as the insert. */
export interface KeyLimits {
  /** Keys per account in the key's environment. */
  perEnvironment: number;
  /** Keys per account over both environments (KEYMINT_KEYS_PER_ACCOUNT); undefined = no cap. */
  perAccount?: number;
}

/** Why a key was not inserted: a limit, or another key of the account and environment has its name. */
export type KeyInsertRefusal = 'limit_exceeded' | 'account_limit_exceeded' | 'name_taken';

export interface Page<T> {
  items: T[];
  /** The id to continue after, when there may be more. */
  next: string | null;
}

export interface KeyStore {
  /** Each write below commits together with its audit entry, or not at all. */
  createAccount(account: AccountRecord, operation: OperationRecord): Promise<void>;
  getAccount(accountId: string): Promise<AccountRecord | null>;
  /** Accounts in id (creation) order, `limit` a page, continuing after the account `after`. */
  listAccounts(query: { after?: string; limit: number }): Promise<Page<AccountRecord>>;
  createAdminToken(token: AdminTokenRecord, operation: OperationRecord): Promise<void>;
  findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | null>;
  /** The account's admin tokens in id (creation) order; an account has few. */
  listAdminTokens(accountId: string): Promise<AdminTokenRecord[]>;
  /** Deletes the account's admin token with its audit entry (`admin_token.revoked`); false when there is none. */
  deleteAdminToken(accountId: string, tokenId: string, operation: OperationRecord): Promise<boolean>;
  /** Best-effort bookkeeping, like touchKey; never audited. */
  touchAdminToken(tokenId: string, lastUsedAt: number): Promise<void>;

  /**
   * Inserts the key unless that would break a limit or repeat the name of another key of the account in its
   * environment. The checks and the insert are one atomic step: concurrent creates cannot both get through.
   */
  insertKey(key: KeyRecord, limits: KeyLimits, operation: OperationRecord): Promise<Result<void, KeyInsertRefusal>>;
  getKey(accountId: string, keyId: string): Promise<KeyRecord | null>;
  /** The key whose current or previous application ID this is, and which of the two it is. */
  findKeyByApplicationId(applicationId: string): Promise<KeyMatch | null>;
  /** The key whose current or previous secret has this HMAC (the proxy's `Api-Key` calls carry a secret alone). */
  findKeyBySecretHash(secretHash: string): Promise<KeyMatch | null>;
  listKeys(
    accountId: string,
    query: { environment?: Environment; after?: string; limit: number },
  ): Promise<Page<KeyRecord>>;
  /** Applies the changes to the account's key; a rename onto another key's name changes nothing (`name_taken`). */
  updateKey(
    accountId: string,
    keyId: string,
    changes: KeyChanges,
    operation: OperationRecord,
  ): Promise<Result<KeyRecord, 'not_found' | 'name_taken'>>;
  deleteKey(accountId: string, keyId: string, operation: OperationRecord): Promise<boolean>;
  /** Best-effort bookkeeping, off the request path; never audited. `previous` touches the previous pair's. */
  touchKey(keyId: string, lastUsedAt: number, pair?: KeyPair): Promise<void>;

  recordOperation(operation: OperationRecord): Promise<void>;
  listOperations(accountId: string, query: { after?: string; limit: number }): Promise<Page<OperationRecord>>;
}
