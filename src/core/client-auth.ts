// Authenticates an application ID + secret for one environment, doing the same hashing work on every path.
import type { KeyRecord, KeyStore } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';
import type { Environment } from '../shared/domain.js';
import { assertNever, fail, ok, type Result } from '../shared/result.js';
import { environmentOfApplicationId, parseApplicationSecret, type SecretHasher } from './secrets.js';

export type ClientAuthFailure =
  | 'malformed_secret'
  | 'other_environment'
  | 'unknown_client'
  | 'wrong_secret'
  | 'disabled'
  | 'expired';

export type ClientAuthResult = Result<KeyRecord, ClientAuthFailure>;

export interface ClientAuthenticator {
  authenticate(environment: Environment, applicationId: string, secret: string): Promise<ClientAuthResult>;
  /** A bare application secret (the proxy's `Api-Key`): the key is found by the secret's HMAC. */
  authenticateSecret(environment: Environment, secret: string): Promise<ClientAuthResult>;
}

export function createClientAuthenticator(deps: {
  keys: KeyStore;
  hasher: SecretHasher;
  clock: Clock;
  /** How `authenticateSecret` finds a key; a short-lived cache may answer (default: the store). */
  findKeyBySecretHash?: (secretHash: string) => Promise<KeyRecord | null>;
}): ClientAuthenticator {
  const { keys, hasher, clock } = deps;
  const findKeyBySecretHash = deps.findKeyBySecretHash ?? ((secretHash: string) => keys.findKeyBySecretHash(secretHash));

  function usable(key: KeyRecord): ClientAuthResult {
    if (key.status !== 'active') return fail('disabled');
    if (key.expiresAt !== null && key.expiresAt <= clock.now()) return fail('expired');
    return ok(key);
  }

  return {
    async authenticate(environment, applicationId, secret) {
      const shape = parseApplicationSecret(secret);
      if (!shape.ok) return fail('malformed_secret');
      // Both checks below are answered from the credential's own prefix, without a database read.
      if (shape.value !== environment) return fail('other_environment', shape.value);
      const idEnvironment = environmentOfApplicationId(applicationId);
      if (idEnvironment !== undefined && idEnvironment !== environment) return fail('other_environment', idEnvironment);
      const key = idEnvironment === undefined ? null : await keys.findKeyByApplicationId(applicationId);
      const found = key !== null && key.environment === environment ? key : null;
      if (!(await hasher.verify(secret, found?.secretHash))) return fail(found ? 'wrong_secret' : 'unknown_client');
      return usable(found!);
    },
    async authenticateSecret(environment, secret) {
      const shape = parseApplicationSecret(secret);
      // The checksum and the environment tag are checked before any read.
      if (!shape.ok) return fail('malformed_secret');
      if (shape.value !== environment) return fail('other_environment', shape.value);
      const key = await findKeyBySecretHash(await hasher.hash(secret));
      if (key === null || key.environment !== environment) return fail('unknown_client');
      return usable(key);
    },
  };
}

/** Words for a refused credential; `surface` words the parts that differ between the OAuth endpoints and the proxy. */
export function describeClientAuthFailure(
  reason: ClientAuthFailure,
  detail: string | undefined,
  surface: { credential: string; invalid: string; otherEnvironment: (environment: string) => string },
): string {
  switch (reason) {
    case 'malformed_secret':
      return `the ${surface.credential} is malformed or mistyped (its checksum does not match)`;
    case 'other_environment':
      return surface.otherEnvironment(detail ?? 'other');
    case 'unknown_client':
    case 'wrong_secret':
      // The same words for both, so probing cannot tell which application IDs exist.
      return surface.invalid;
    case 'disabled':
      return 'this API access key is disabled';
    case 'expired':
      return 'this API access key has expired';
    default:
      return assertNever(reason);
  }
}
