// A key's usage as the admin API and the console show it: a zero-filled series by UTC hour or day over at most 90 days.
import {
  DAY_MS,
  emptyCounts,
  HOUR_MS,
  USAGE_COUNTERS,
  USAGE_RETENTION_DAYS,
  type HourlyUsage,
  type UsageCounts,
} from '../ports/usage-meter.js';
import { fail, ok, type Result } from '../shared/result.js';

export type UsageGranularity = 'hour' | 'day';

/** Whole UTC hours or days: [fromMs, toMs). */
export interface UsageRange {
  granularity: UsageGranularity;
  fromMs: number;
  toMs: number;
}

export type UsageRangeProblem = 'invalid_range';

const STEP: Record<UsageGranularity, number> = { hour: HOUR_MS, day: DAY_MS };
const MAX_SPAN_MS = USAGE_RETENTION_DAYS * DAY_MS;
/** Without `from`: the last day by hour, the last 30 days by day. */
const DEFAULT_SPAN: Record<UsageGranularity, number> = { hour: DAY_MS, day: 30 * DAY_MS };

/**
 * The range to read: `from` rounded down and `to` rounded up to whole steps (UTC hours or days); without
 * `to`, up to the end of the current step; without `from`, a default span before `to`. At most 90 days.
 */
export function usageRange(
  query: { granularity: UsageGranularity; fromMs?: number; toMs?: number },
  nowMs: number,
): Result<UsageRange, UsageRangeProblem> {
  const step = STEP[query.granularity];
  const toMs = Math.ceil((query.toMs ?? nowMs + 1) / step) * step;
  const fromMs = Math.floor((query.fromMs ?? toMs - DEFAULT_SPAN[query.granularity]) / step) * step;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) return fail('invalid_range', 'from and to must be dates');
  if (fromMs >= toMs) return fail('invalid_range', 'from must be before to');
  if (toMs - fromMs > MAX_SPAN_MS) return fail('invalid_range', `the range may span at most ${USAGE_RETENTION_DAYS} days`);
  return ok({ granularity: query.granularity, fromMs, toMs });
}

export interface UsagePoint {
  /** The hour's or day's start, ISO 8601 in UTC. */
  start: string;
  tokens: number;
  calls: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  refusals: { invalid_credentials: number; rate_limited: number; quota_exceeded: number };
}

export interface UsageSeries {
  granularity: UsageGranularity;
  from: string;
  to: string;
  /** One point per step of the range, oldest first; steps with no use are zeros. */
  points: UsagePoint[];
  totals: Omit<UsagePoint, 'start'>;
}

function toPoint(counts: UsageCounts): Omit<UsagePoint, 'start'> {
  return {
    tokens: counts.tokens,
    calls: { '2xx': counts['2xx'], '3xx': counts['3xx'], '4xx': counts['4xx'], '5xx': counts['5xx'] },
    refusals: {
      invalid_credentials: counts.invalid_credentials,
      rate_limited: counts.rate_limited,
      quota_exceeded: counts.quota_exceeded,
    },
  };
}

function add(into: UsageCounts, counts: UsageCounts): void {
  for (const counter of USAGE_COUNTERS) into[counter] += counts[counter];
}

/** The series of `range` from a meter's hours (any order, hours outside the range ignored); a day sums its 24 UTC hours. */
export function buildUsageSeries(range: UsageRange, hours: readonly HourlyUsage[]): UsageSeries {
  const step = STEP[range.granularity];
  const buckets = Array.from({ length: (range.toMs - range.fromMs) / step }, emptyCounts);
  const totals = emptyCounts();
  for (const hour of hours) {
    if (hour.hourStartMs < range.fromMs || hour.hourStartMs >= range.toMs) continue;
    add(buckets[Math.floor((hour.hourStartMs - range.fromMs) / step)]!, hour.counts);
    add(totals, hour.counts);
  }
  return {
    granularity: range.granularity,
    from: new Date(range.fromMs).toISOString(),
    to: new Date(range.toMs).toISOString(),
    points: buckets.map((counts, index) => ({ start: new Date(range.fromMs + index * step).toISOString(), ...toPoint(counts) })),
    totals: toPoint(totals),
  };
}
