// KeyLimiter in process memory, for one process without Redis: each check-and-count runs without yielding, so it is atomic.
import {
  decideLimits,
  gcraStep,
  quotaPeriod,
  quotaStatus,
  rateStatus,
  type BudgetCheck,
} from '../../ports/key-limiter-arithmetic.js';
import type { CallLimits, KeyLimiter, LimitDecision, RateLimit } from '../../ports/key-limiter.js';
import type { KeyRef } from '../../ports/key-ref.js';
import { systemClock, type Clock } from '../../ports/runtime.js';

const SWEEP_EVERY_WRITES = 1000;

export class MemoryKeyLimiter implements KeyLimiter {
  /** GCRA theoretical arrival times (µs), by key and budget. */
  private readonly arrivals = new Map<string, number>();
  /** Quota counters by key and calendar period, with the period's end (ms). */
  private readonly counters = new Map<string, { used: number; endMs: number }>();
  private writes = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async admitCall(key: KeyRef, limits: CallLimits): Promise<LimitDecision> {
    return this.admit(key, 'rate', limits);
  }

  async admitMint(key: KeyRef, limit: RateLimit): Promise<LimitDecision> {
    return this.admit(key, 'token-rate', { rateLimit: limit });
  }

  private admit(key: KeyRef, ratePolicy: 'rate' | 'token-rate', limits: CallLimits): LimitDecision {
    const { rateLimit, quota } = limits;
    if (!rateLimit && !quota) return { allowed: true, policies: [] };
    const nowMs = this.clock.now();
    const nowUs = nowMs * 1000;
    const subject = `${key.environment}:${key.keyId}`;

    const rateName = `${subject}:${ratePolicy}`;
    const rate = rateLimit && gcraStep(this.arrivals.get(rateName), nowUs, rateLimit);
    const period = quota && quotaPeriod(quota.period, nowMs);
    const quotaName = period && `${subject}:quota:${period.id}`;
    const counter = quotaName ? this.counters.get(quotaName) : undefined;
    let used = counter?.used ?? 0;
    const quotaConforms = quota ? used < quota.requests : true;

    const admitted = (rate?.conforms ?? true) && quotaConforms;
    if (admitted) {
      if (rate) this.arrivals.set(rateName, rate.next);
      if (quotaName && period) this.counters.set(quotaName, { used: ++used, endMs: period.endMs });
      this.sweep(nowMs);
    }

    const checks: BudgetCheck[] = [];
    if (rateLimit && rate) {
      checks.push({ status: rateStatus(ratePolicy, rateLimit, admitted ? rate.next : rate.current, nowUs), conforms: rate.conforms });
    }
    if (quota && period) checks.push({ status: quotaStatus(quota, period, used, nowMs), conforms: quotaConforms });
    return decideLimits(checks);
  }

  // Entries whose budget is whole again (TAT passed) or whose period ended say nothing an absent entry would not.
  private sweep(nowMs: number): void {
    if (++this.writes % SWEEP_EVERY_WRITES !== 0) return;
    for (const [name, tat] of this.arrivals) if (tat <= nowMs * 1000) this.arrivals.delete(name);
    for (const [name, counter] of this.counters) if (counter.endMs <= nowMs) this.counters.delete(name);
  }
}
