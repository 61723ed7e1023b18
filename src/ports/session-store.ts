// SessionStore: session records and the issuance cache, environment-namespaced, expiring with the token.
import type { Environment } from '../shared/domain.js';
import type { KeyMark } from './key-versions.js';

export interface SessionRecord {
  jti: string;
  applicationId: string;
  keyId: string;
  accountId: string;
  scope: string;
  aud: string;
  /** Seconds since the epoch, as in the token. */
  iat: number;
  exp: number;
  revoked: boolean;
  /** RFC 9449: the thumbprint of the DPoP key the token is bound to; absent for a bearer token. */
  cnf?: { jkt: string };
  /** A token derived by exchange (RFC 8693): the jti of the token it was derived from. */
  parentJti?: string;
  /** The parent, then the parent's own ancestors, nearest first: revoking any of them revokes this session. */
  ancestors?: string[];
}

/** A minted token kept for reuse by the same key, scope and audience. */
export interface IssuedToken {
  token: string;
  jti: string;
  scope: string;
  iat: number;
  exp: number;
}

export interface IssuanceSlot {
  keyId: string;
  /** Identifies application ID, scope and audience together. */
  slot: string;
}

export interface SessionStore {
  /**
   * Stores the record (TTL until `exp`) and, when asked, the token for reuse until `reuseUntil` (seconds). Given
   * `whileMark` (the record's key and a mark of ports/key-versions.ts), it stores nothing and raises StaleKeyError
   * unless that is still the key's mark, in the same atomic step. Only a store that shares the KeyVersions' backend
   * is given one (the Redis store); the others refuse it.
   */
  saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
    whileMark?: KeyMark,
  ): Promise<void>;
  getSession(environment: Environment, jti: string): Promise<SessionRecord | null>;
  /**
   * Marks one session revoked (keeps it until it would have expired), with every live session derived from
   * it (whose `ancestors` hold its jti) — in one atomic step on Redis and in memory; false when unknown.
   */
  revokeSession(environment: Environment, jti: string): Promise<boolean>;
  /** Marks every live session of the key revoked and forgets its reusable tokens; returns how many. */
  revokeKeySessions(environment: Environment, keyId: string): Promise<number>;
  /** The token kept for reuse in `slot`, if any; given `whileMark`, only while it is the key's mark (as saveSession). */
  findIssued(environment: Environment, slot: IssuanceSlot, whileMark?: KeyMark): Promise<IssuedToken | null>;
}

/**
 * A SessionStore whose backend cannot be reached throws StoreUnavailableError (`./store-errors.js`), as
 * every store does; OAuth endpoints answer 503.
 * @deprecated the name of that error before every store shared it; use StoreUnavailableError.
 */
export { StoreUnavailableError as SessionStoreUnavailableError } from './store-errors.js';
