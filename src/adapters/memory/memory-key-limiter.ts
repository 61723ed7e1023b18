// KeyLimiter in process memory, for one process without Redis: each check-and-count runs without yielding, so it is atomic.
import { checkLimits, type CalendarPeriod } from '../../ports/key-limiter-arithmetic.js';
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
    const nowMs = this.clock.now();
    const subject = `${key.environment}:${key.keyId}`;
    const rateName = `${subject}:${ratePolicy}`;
    const quotaName = (period: CalendarPeriod) => `${subject}:quota:${period.id}`;
    const { decision, counted } = checkLimits(ratePolicy, limits, nowMs, {
      tat: this.arrivals.get(rateName),
      used: (period) => this.counters.get(quotaName(period))?.used ?? 0,
    });
    if (counted) {
      if (counted.tat !== undefined) this.arrivals.set(rateName, counted.tat);
      if (counted.quota) this.counters.set(quotaName(counted.quota.period), { used: counted.quota.used, endMs: counted.quota.period.endMs });
      this.sweep(nowMs);
    }
    return decision;
  }

  // Entries whose budget is whole again (TAT passed) or whose period ended say nothing an absent entry would not.
  private sweep(nowMs: number): void {
    if (++this.writes % SWEEP_EVERY_WRITES !== 0) return;
    for (const [name, tat] of this.arrivals) if (tat <= nowMs * 1000) this.arrivals.delete(name);
    for (const [name, counter] of this.counters) if (counter.endMs <= nowMs) this.counters.delete(name);
  }
}
