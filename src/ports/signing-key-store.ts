// SigningKeyStore: each environment's signing key pairs, active and retired.
import type { Environment } from '../shared/domain.js';

export interface SigningKeyRecord {
  kid: string;
  environment: Environment;
  alg: string;
  publicJwk: string;
  /** Private JWK as JSON, or sealed with the key-encryption key. */
  privateKey: string;
  status: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  publishUntil: number | null;
}

export interface SigningKeyStore {
  listSigningKeys(environment: Environment): Promise<SigningKeyRecord[]>;
  /** Inserts an active key; false when the environment already has one (a racing start won). */
  insertActiveSigningKey(key: SigningKeyRecord): Promise<boolean>;
  /** Retires `retiringKid` and activates `next` in one step; false when `retiringKid` was no longer active. */
  rotateSigningKey(
    retiringKid: string,
    retiredAt: number,
    publishUntil: number,
    next: SigningKeyRecord,
  ): Promise<boolean>;
  /** Drops retired keys whose tokens have all expired. */
  deleteUnpublishedSigningKeys(environment: Environment, now: number): Promise<void>;
}
