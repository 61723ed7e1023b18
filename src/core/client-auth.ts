// Authenticates an application ID + secret for one environment, doing the same hashing work on every path.
import type { KeyRecord, KeyStore } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';
import type { Environment } from './environments.js';
import { fail, ok, type Result } from './result.js';
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
}

export function createClientAuthenticator(deps: {
  keys: KeyStore;
  hasher: SecretHasher;
  clock: Clock;
}): ClientAuthenticator {
  const { keys, hasher, clock } = deps;
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
      if (found!.status !== 'active') return fail('disabled');
      if (found!.expiresAt !== null && found!.expiresAt <= clock.now()) return fail('expired');
      return ok(found!);
    },
  };
}
