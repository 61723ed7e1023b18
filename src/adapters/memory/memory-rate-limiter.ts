// RateLimiter in process memory: fixed-window failure counters for a single process without Redis.
import type { FailureCounter, RateLimiter } from '../../ports/rate-limiter.js';
import type { Clock } from '../../ports/runtime.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryRateLimiter implements RateLimiter {
  private readonly counts: ExpiringMap<number>;

  constructor(private readonly clock: Clock) {
    this.counts = new ExpiringMap(clock);
  }

  async retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    let wait = 0;
    for (const { key, limit } of counters) {
      const window = this.counts.entry(key);
      if (window && window.value >= limit) {
        wait = Math.max(wait, 1, Math.ceil((window.expiresAt - this.clock.now()) / 1000));
      }
    }
    return wait;
  }

  async recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    for (const key of keys) {
      const window = this.counts.entry(key);
      // The window opens with the first failure and is not extended by later ones.
      if (window) window.value += 1;
      else this.counts.set(key, 1, this.clock.now() + windowSeconds * 1000);
    }
  }
}
