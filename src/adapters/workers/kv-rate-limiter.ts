// RateLimiter on Workers KV: approximate fixed-window failure counters (KV has no atomic increment). The
// Worker uses it only when the FAILURE_COUNTERS Durable Object binding is absent (docs/workers.md).
import { admitEach, type Admission, type AttemptPlace, type FailureCounter, type RateLimiter } from '../../ports/rate-limiter.js';
import { countFailure, emptyCounter, givePlaceBack, settle, takePlace, type CounterState } from '../../ports/failure-window.js';
import { guarded, KvClient, kvExpirationTtl, parse } from './kv-session-store.js';

/** A failure counter's fixed window: how many failures, and when the window closes (ms). */
interface FailureWindow {
  count: number;
  resetAt: number;
  /** Attempts under way (admit/release): place id → lease deadline (ms). Absent in records written before them. */
  places?: Record<string, number>;
}

export class KvRateLimiter extends KvClient implements RateLimiter {
  retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    return guarded(async () => {
      const waits = await Promise.all(
        counters.map(async ({ key, limit }) => {
          const window = parse<FailureWindow>(await this.kv.get(`${this.prefix}:${key}`, 'text'));
          const left = window ? window.resetAt - this.clock.now() : 0;
          if (!window || left <= 0 || window.count < limit) return 0;
          return Math.max(1, Math.ceil(left / 1000));
        }),
      );
      return Math.max(0, ...waits);
    });
  }

  /**
   * Best effort: KV has no atomic increment and accepts about one write per second per key, so a
   * burst of failures is undercounted, and a refused write is ignored — the caller's answer
   * (401 invalid_client) is already decided and must not turn into a 503.
   */
  async recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        try {
          await this.update(key, (state, now) => countFailure(state, now, windowSeconds * 1000));
        } catch {
          // See above: counting failures is advisory.
        }
      }),
    );
  }

  /**
   * Approximate, like the counters: a place is read-modify-written in KV, so attempts admitted at the same
   * moment in different isolates or locations may each see the other's place missing.
   */
  admit(counters: readonly FailureCounter[], options: { windowSeconds: number; leaseSeconds: number }): Promise<Admission> {
    return guarded(() =>
      admitEach(
        counters,
        ({ key, limit }, id) => this.update(key, (state, now) => takePlace(state, now, limit, id, options.leaseSeconds * 1000)),
        async (key, id) => {
          await this.update(key, (state, now) => givePlaceBack(state, now, id, false, 0)).catch(() => undefined);
        },
        options.windowSeconds,
      ),
    );
  }

  /** Best effort, as `recordFailure`: a refused write is ignored. */
  async release(place: AttemptPlace, failed: boolean): Promise<void> {
    await Promise.all(
      place.keys.map((key) =>
        this.update(key, (state, now) => givePlaceBack(state, now, place.id, failed, place.windowSeconds * 1000)).catch(() => undefined),
      ),
    );
  }

  /** Reads a counter, changes it with `change` and writes it back (unless nothing is left to keep). */
  private async update<T>(key: string, change: (state: CounterState, now: number) => T): Promise<T> {
    const name = `${this.prefix}:${key}`;
    const now = this.clock.now();
    const stored = parse<FailureWindow>(await this.kv.get(name, 'text'));
    const state = settle(stored ? { count: stored.count, resetAt: stored.resetAt, places: stored.places ?? {} } : emptyCounter(), now);
    const answer = change(state, now);
    const keepUntil = Math.max(state.resetAt, ...Object.values(state.places));
    if (keepUntil > now) {
      const window: FailureWindow = { count: state.count, resetAt: state.resetAt, places: state.places };
      await this.kv.put(name, JSON.stringify(window), { expirationTtl: kvExpirationTtl(this.clock, Math.ceil(keepUntil / 1000)) });
    } else if (stored) {
      await this.kv.delete(name);
    }
    return answer;
  }
}
