// Counting a key's usage (SPEC §7) off the request's critical path: the count goes out after the answer, and a
// meter that cannot count loses that count (logged and counted as a store error) instead of failing the request.
import type { KeyRef } from '../ports/key-ref.js';
import type { Defer, Logger, Metrics } from '../ports/runtime.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import type { UsageCounter, UsageMeter } from '../ports/usage-meter.js';

export interface UsageCounting {
  /** Adds one to the key's counter for the current UTC hour, after the response; never throws. */
  count(key: KeyRef, counter: UsageCounter): void;
}

export function createUsageCounting(deps: { meter: UsageMeter; defer: Defer; logger: Logger; metrics: Metrics }): UsageCounting {
  return {
    count(key, counter) {
      deps.defer(
        deps.meter.count(key, counter).catch((error: unknown) => {
          if (error instanceof StoreUnavailableError) deps.metrics.storeError(error.store);
          deps.logger.warn('could not count usage', { keyId: key.keyId, counter, error: String(error) });
        }),
      );
    },
  };
}
