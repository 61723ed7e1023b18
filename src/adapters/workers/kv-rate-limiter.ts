// RateLimiter on Workers KV: approximate fixed-window failure counters (KV has no atomic increment).
import type { FailureCounter, RateLimiter } from '../../ports/rate-limiter.js';
import type { Clock } from '../../ports/runtime.js';
import { guarded, kvExpirationTtl, parse, type KvNamespaceLike } from './kv-session-store.js';

/** A failure counter's fixed window: how many failures, and when the window closes (ms). */
interface FailureWindow {
  count: number;
  resetAt: number;
}

export class KvRateLimiter implements RateLimiter {
  private readonly clock: Clock;
  private readonly prefix: string;

  constructor(
    private readonly kv: KvNamespaceLike,
    options: { prefix?: string; clock: Clock },
  ) {
    this.prefix = options.prefix ?? 'km';
    this.clock = options.clock;
  }

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
        const name = `${this.prefix}:${key}`;
        try {
          const now = this.clock.now();
          const current = parse<FailureWindow>(await this.kv.get(name, 'text'));
          const window: FailureWindow =
            current && current.resetAt > now
              ? { count: current.count + 1, resetAt: current.resetAt }
              : { count: 1, resetAt: now + windowSeconds * 1000 };
          await this.kv.put(name, JSON.stringify(window), {
            expirationTtl: kvExpirationTtl(this.clock, Math.ceil(window.resetAt / 1000)),
          });
        } catch {
          // See above: counting failures is advisory.
        }
      }),
    );
  }
}
