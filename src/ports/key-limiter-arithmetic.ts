// What a KeyLimiter's budgets mean, as arithmetic every adapter follows (the Redis script does the same steps in
// Lua): GCRA for rate limits, counters per UTC calendar period for quotas. Times in µs for GCRA, ms otherwise.
import type { CallLimits, LimitDecision, LimitPolicy, PolicyStatus, Quota, QuotaPeriod, RateLimit } from './key-limiter.js';

const MICROS_PER_SECOND = 1_000_000;

/**
 * GCRA's emission interval in µs: one call's share of the window, rounded up to a whole µs so that integer
 * arithmetic stays exact (in Lua's doubles too). `requests` intervals then span the window, or exceed it by
 * less than `requests` µs.
 */
export function emissionInterval(limit: RateLimit): number {
  return Math.ceil((limit.windowSeconds * MICROS_PER_SECOND) / limit.requests);
}

export interface GcraStep {
  /** Whether one more call fits the budget now. */
  conforms: boolean;
  /** The theoretical arrival time to store if the call is counted. */
  next: number;
  /** The theoretical arrival time as it stands (no earlier than now). */
  current: number;
}

/**
 * One check of the generic cell rate algorithm (virtual scheduling). `storedTat` is the key's theoretical
 * arrival time in µs, undefined when it has none. A call conforms while the TAT is at most `requests − 1`
 * intervals ahead of now: a burst of `requests` passes at once, then one per interval.
 */
export function gcraStep(storedTat: number | undefined, nowUs: number, limit: RateLimit): GcraStep {
  const interval = emissionInterval(limit);
  const current = Math.max(storedTat ?? nowUs, nowUs);
  return { conforms: current - nowUs <= (limit.requests - 1) * interval, next: current + interval, current };
}

/** The budget at theoretical arrival time `tatUs`: calls that would pass now, and seconds until one more would. */
export function rateStatus(policy: LimitPolicy, limit: RateLimit, tatUs: number, nowUs: number): PolicyStatus {
  const interval = emissionInterval(limit);
  const remaining = Math.min(limit.requests, Math.max(0, Math.floor((nowUs + limit.requests * interval - tatUs) / interval)));
  const waitUs = remaining >= limit.requests ? 0 : tatUs - (limit.requests - remaining - 1) * interval - nowUs;
  return {
    policy,
    limit: limit.requests,
    windowSeconds: limit.windowSeconds,
    remaining,
    resetSeconds: Math.ceil(waitUs / MICROS_PER_SECOND),
  };
}

export interface CalendarPeriod {
  /** `2026-12-02` for a day, `2026-12` for a month: names the period's counter. */
  id: string;
  startMs: number;
  endMs: number;
}

const pad = (value: number) => String(value).padStart(2, '0');

/** The UTC calendar day or month that holds `nowMs`. */
export function quotaPeriod(period: QuotaPeriod, nowMs: number): CalendarPeriod {
  const now = new Date(nowMs);
  const [year, month, day] = [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()];
  if (period === 'day') {
    return { id: `${year}-${pad(month + 1)}-${pad(day)}`, startMs: Date.UTC(year, month, day), endMs: Date.UTC(year, month, day + 1) };
  }
  return { id: `${year}-${pad(month + 1)}`, startMs: Date.UTC(year, month, 1), endMs: Date.UTC(year, month + 1, 1) };
}

/** The quota after `used` calls in `period`: what is left, and seconds until the period ends (0 while untouched). */
export function quotaStatus(quota: Quota, period: CalendarPeriod, used: number, nowMs: number): PolicyStatus {
  const remaining = Math.max(0, quota.requests - used);
  return {
    policy: 'quota',
    limit: quota.requests,
    windowSeconds: (period.endMs - period.startMs) / 1000,
    remaining,
    resetSeconds: remaining >= quota.requests ? 0 : Math.ceil((period.endMs - nowMs) / 1000),
  };
}

export interface BudgetCheck {
  /** The budget after the decision (counted when every check conformed). */
  status: PolicyStatus;
  conforms: boolean;
}

/**
 * The decision from every budget's check. An exhausted quota outranks the rate limit (waiting for the rate
 * to refill would not help); Retry-After is the refusing budget's wait.
 */
export function decideLimits(checks: readonly BudgetCheck[]): LimitDecision {
  const policies = checks.map((check) => check.status);
  const refusal = checks.find((check) => !check.conforms && check.status.policy === 'quota') ?? checks.find((check) => !check.conforms);
  if (!refusal) return { allowed: true, policies };
  return {
    allowed: false,
    reason: refusal.status.policy === 'quota' ? 'quota_exceeded' : 'rate_limited',
    retryAfterSeconds: Math.max(1, refusal.status.resetSeconds),
    policies,
  };
}

/** What one key's budgets hold before a check: its theoretical arrival time (µs), and the calls counted per period. */
export interface StoredBudgets {
  tat: number | undefined;
  used(period: CalendarPeriod): number;
}

export interface LimitCheck {
  decision: LimitDecision;
  /** Only when the call is counted (`decision.allowed`): what to store — the new TAT, the period's new count. */
  counted?: { tat?: number; quota?: { period: CalendarPeriod; used: number } };
}

/**
 * One check-and-count of a key's rate limit (`ratePolicy`'s) and quota against what is stored, as a store that
 * runs it in one atomic step (a process's synchronous code, a Durable Object) follows it: both budgets must
 * conform for either to count. With neither limit, allowed and nothing to store.
 */
export function checkLimits(ratePolicy: 'rate' | 'token-rate', limits: CallLimits, nowMs: number, stored: StoredBudgets): LimitCheck {
  const { rateLimit, quota } = limits;
  if (!rateLimit && !quota) return { decision: { allowed: true, policies: [] } };
  const nowUs = nowMs * 1000;
  const rate = rateLimit && gcraStep(stored.tat, nowUs, rateLimit);
  const period = quota && quotaPeriod(quota.period, nowMs);
  let used = period ? stored.used(period) : 0;
  const quotaConforms = quota ? used < quota.requests : true;
  const admitted = (rate?.conforms ?? true) && quotaConforms;
  if (admitted && period) used += 1;

  const checks: BudgetCheck[] = [];
  if (rateLimit && rate) {
    checks.push({ status: rateStatus(ratePolicy, rateLimit, admitted ? rate.next : rate.current, nowUs), conforms: rate.conforms });
  }
  if (quota && period) checks.push({ status: quotaStatus(quota, period, used, nowMs), conforms: quotaConforms });
  const decision = decideLimits(checks);
  if (!admitted) return { decision };
  return { decision, counted: { tat: rate?.next, quota: period && { period, used } } };
}
