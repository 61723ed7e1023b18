// Counting a key's usage (SPEC §7) off the request's critical path: the count goes out after the answer, and a
// meter that cannot count loses that count (logged and counted as a store error) instead of failing the request.
import type { KeyRef } from '../ports/key-ref.js';
import type { KeyStore } from '../ports/key-store.js';
import type { Environment } from '../shared/domain.js';
import type { Defer, Logger, Metrics } from '../ports/runtime.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import type { UsageCounter, UsageMeter } from '../ports/usage-meter.js';

export interface UsageCounting {
  /** Adds one to the key's counter for the current UTC hour, after the response; never throws. */
  count(key: KeyRef, counter: UsageCounter): void;
  /**
   * Counts `invalid_credentials` for the key an application ID names, when one of the environment has it: a
   * client that named its key and failed to prove it (wrong secret, disabled or expired key). The look-up runs
   * after the response too.
   */
  countInvalidCredentials(environment: Environment, applicationId: string): void;
}

export function createUsageCounting(deps: {
  meter: UsageMeter;
  keys: KeyStore;
  defer: Defer;
  logger: Logger;
  metrics: Metrics;
}): UsageCounting {
  const lost = (counter: UsageCounter, keyId: string | undefined) => (error: unknown) => {
    if (error instanceof StoreUnavailableError) deps.metrics.storeError(error.store);
    deps.logger.warn('could not count usage', { keyId, counter, error: String(error) });
  };
  return {
    count(key, counter) {
      deps.defer(deps.meter.count(key, counter).catch(lost(counter, key.keyId)));
    },
    countInvalidCredentials(environment, applicationId) {
      const counted = async () => {
        const key = (await deps.keys.findKeyByApplicationId(applicationId))?.key;
        if (key && key.environment === environment) await deps.meter.count({ environment, keyId: key.id }, 'invalid_credentials');
      };
      deps.defer(counted().catch(lost('invalid_credentials', undefined)));
    },
  };
}
