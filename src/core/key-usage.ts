// Reading a key's usage (SPEC §7): the zero-filled series by UTC hour or day that the admin API and the console show.
import type { KeyStore } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';
import type { UsageMeter } from '../ports/usage-meter.js';
import type { Environment } from '../shared/domain.js';
import { fail, ok, type Result } from '../shared/result.js';
import { buildUsageSeries, usageRange, type UsageGranularity, type UsageSeries } from './usage-series.js';

export interface KeyUsageQuery {
  granularity: UsageGranularity;
  /** Milliseconds since the epoch; rounded down to the step. Default: a day (hour) or 30 days (day) before `toMs`. */
  fromMs?: number;
  /** Rounded up to the step; default: the end of the current hour or day. */
  toMs?: number;
}

export interface KeyUsage extends UsageSeries {
  keyId: string;
  environment: Environment;
}

export type KeyUsageFailure = 'not_found' | 'invalid_range';

export interface KeyUsageReader {
  /** Whether every gateway process counts into the same meter (Redis); false: counts stay in this process and end with it. */
  readonly shared: boolean;
  /** The account's key's usage over at most 90 days; `invalid_range` (with a detail) for a range it cannot answer. */
  read(accountId: string, keyId: string, query: KeyUsageQuery): Promise<Result<KeyUsage, KeyUsageFailure>>;
}

export function createKeyUsageReader(deps: { keys: KeyStore; meter: UsageMeter; clock: Clock; shared: boolean }): KeyUsageReader {
  return {
    shared: deps.shared,
    async read(accountId, keyId, query) {
      const range = usageRange(query, deps.clock.now());
      if (!range.ok) return range;
      const key = await deps.keys.getKey(accountId, keyId);
      if (!key) return fail('not_found');
      const hours = await deps.meter.readHours({ environment: key.environment, keyId }, range.value.fromMs, range.value.toMs);
      return ok({ keyId, environment: key.environment, ...buildUsageSeries(range.value, hours) });
    },
  };
}
