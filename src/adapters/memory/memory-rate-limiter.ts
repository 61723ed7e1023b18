// RateLimiter in process memory: fixed-window failure counters for a single process without Redis.
import { admitEach, type Admission, type AttemptPlace, type FailureCounter, type RateLimiter } from '../../ports/rate-limiter.js';
import type { Clock } from '../../ports/runtime.js';
import { countFailure, emptyCounter, givePlaceBack, isIdle, takePlace, waitOf, type CounterState } from '../../ports/failure-window.js';

// Idle counters are dropped every this many writes.
const SWEEP_EVERY_WRITES = 1000;

export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, CounterState>();
  private writes = 0;

  constructor(private readonly clock: Clock) {}

  private counter(key: string): CounterState {
    let state = this.counters.get(key);
    if (!state) this.counters.set(key, (state = emptyCounter()));
    if (++this.writes % SWEEP_EVERY_WRITES === 0) {
      const now = this.clock.now();
      for (const [name, other] of this.counters) if (other !== state && isIdle(other, now)) this.counters.delete(name);
    }
    return state;
  }

  async retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    const now = this.clock.now();
    let wait = 0;
    for (const { key, limit } of counters) {
      const state = this.counters.get(key);
      if (state) wait = Math.max(wait, waitOf(state, now, limit));
    }
    return wait;
  }

  async recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    for (const key of keys) countFailure(this.counter(key), this.clock.now(), windowSeconds * 1000);
  }

  admit(counters: readonly FailureCounter[], options: { windowSeconds: number; leaseSeconds: number }): Promise<Admission> {
    return admitEach(
      counters,
      async ({ key, limit }, id) => takePlace(this.counter(key), this.clock.now(), limit, id, options.leaseSeconds * 1000),
      async (key, id) => givePlaceBack(this.counter(key), this.clock.now(), id, false, 0),
      options.windowSeconds,
    );
  }

  async release(place: AttemptPlace, failed: boolean): Promise<void> {
    for (const key of place.keys) givePlaceBack(this.counter(key), this.clock.now(), place.id, failed, place.windowSeconds * 1000);
  }
}
