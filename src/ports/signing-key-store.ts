// SigningKeyStore: each environment's signing key pairs: the active one, the next one published ahead, retired ones.
import type { Environment } from '../shared/domain.js';

/** `pending`: published in the JWKS, signing from `activatesAt`; `active`: signing now; `retired`: published until `publishUntil`. */
export type SigningKeyStatus = 'pending' | 'active' | 'retired';

export interface SigningKeyRecord {
  kid: string;
  environment: Environment;
  alg: string;
  publicJwk: string;
  /** Private JWK as JSON, or sealed with the key-encryption key. */
  privateKey: string;
  status: SigningKeyStatus;
  createdAt: number;
  /** A pending key's start: every node signs with it from then on. Null for keys that were active at once. */
  activatesAt: number | null;
  retiredAt: number | null;
  publishUntil: number | null;
}

export interface SigningKeyStore {
  listSigningKeys(environment: Environment): Promise<SigningKeyRecord[]>;
  /** Inserts an active key; false when the environment already has one (a racing start won). */
  insertActiveSigningKey(key: SigningKeyRecord): Promise<boolean>;
  /** Inserts the next key as pending; false when the environment already has one (a racing node won). */
  insertPendingSigningKey(key: SigningKeyRecord): Promise<boolean>;
  /**
   * Retires `retiringKid` and makes `pendingKid` active, in one step; false when either had already changed (another
   * node did it first).
   */
  activatePendingSigningKey(pendingKid: string, retiringKid: string, retiredAt: number, publishUntil: number): Promise<boolean>;
  /**
   * Retires `retiringKid`, drops the environment's pending key (a compromise replaces every key made before it) and
   * activates `next`, in one step; false when `retiringKid` was no longer active.
   */
  rotateSigningKey(
    retiringKid: string,
    retiredAt: number,
    publishUntil: number,
    next: SigningKeyRecord,
  ): Promise<boolean>;
  /** Drops retired keys whose tokens have all expired. */
  deleteUnpublishedSigningKeys(environment: Environment, now: number): Promise<void>;
}
