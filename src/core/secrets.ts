// Application IDs, application secrets and admin tokens: their shapes, checksums and keyed hashes.
import { crc32 } from './crc32.js';
import { randomBase62, timingSafeEqual, toBase62, toBase64Url, utf8 } from '../shared/encoding.js';
import { ENVIRONMENT_TAGS, environmentOfTag, type Environment } from '../shared/domain.js';
import { fail, ok, type Result } from '../shared/result.js';
import { webCrypto } from './web-crypto.js';
import type { CryptoProvider } from '../ports/crypto.js';

const SECRET_RANDOM_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
const SECRET_SHAPE = /^sk_(sbx|prd)_([0-9A-Za-z]{32,64})([0-9A-Za-z]{6})$/;
const APPLICATION_ID_SHAPE = /^app_(sbx|prd)_[0-9A-Za-z]{24}$/;

function checksum(body: string): string {
  return toBase62(crc32(utf8(body)), CHECKSUM_LENGTH);
}

export function generateApplicationSecret(environment: Environment): string {
  const body = `sk_${ENVIRONMENT_TAGS[environment]}_${randomBase62(SECRET_RANDOM_LENGTH)}`;
  return body + checksum(body);
}

export function generateApplicationId(environment: Environment): string {
  return `app_${ENVIRONMENT_TAGS[environment]}_${randomBase62(24)}`;
}

export type SecretShapeFailure = 'malformed' | 'bad_checksum';

/** Checks a presented secret's shape and checksum; says which environment it was issued for. */
export function parseApplicationSecret(secret: string): Result<Environment, SecretShapeFailure> {
  const match = SECRET_SHAPE.exec(secret);
  if (!match) return fail('malformed');
  const body = secret.slice(0, secret.length - CHECKSUM_LENGTH);
  if (!timingSafeEqual(checksum(body), match[3]!)) return fail('bad_checksum');
  return ok(environmentOfTag(match[1]!)!);
}

/** The environment an application ID belongs to, or undefined when it is not one of ours. */
export function environmentOfApplicationId(applicationId: string): Environment | undefined {
  if (!APPLICATION_ID_SHAPE.test(applicationId)) return undefined;
  return environmentOfTag(applicationId.slice(4, 7));
}

export function generateAdminToken(): string {
  return `kmat_${randomBase62(43)}`;
}

export function secretHint(secret: string): string {
  return secret.slice(-4);
}

export interface SecretHasher {
  /** HMAC-SHA-256(pepper, secret), base64url. */
  hash(secret: string): Promise<string>;
  /** Hashes `secret` and compares it with `expected` in constant time (always does the hashing work). */
  verify(secret: string, expected: string | undefined): Promise<boolean>;
}

// A hash no secret produces, compared against when there is no stored hash so both paths do equal work.
const ABSENT_HASH = 'A'.repeat(43);

export async function createSecretHasher(pepper: string, provider: CryptoProvider = webCrypto): Promise<SecretHasher> {
  const hmac = await provider.createHmac(pepper);
  const hash = async (secret: string) => toBase64Url(await hmac(secret));
  return {
    hash,
    async verify(secret, expected) {
      const actual = await hash(secret);
      const matches = timingSafeEqual(actual, expected ?? ABSENT_HASH);
      return matches && expected !== undefined;
    },
  };
}
