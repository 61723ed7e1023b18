// RateLimiter on Redis (ioredis): fixed-window failure counters shared by every gateway process.
import type { Redis } from 'ioredis';
import type { FailureCounter, RateLimiter } from '../../ports/rate-limiter.js';
import { guarded } from './redis-session-store.js';

/**
 * A counter is a string key holding the number of failures; its window is the key's TTL, which Redis sets
 * with the first failure and enforces itself, so this adapter computes no time of its own.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'km';
  }

  retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    return guarded(async () => {
      if (counters.length === 0) return 0;
      const names = counters.map(({ key }) => `${this.prefix}:${key}`);
      // Nearly every call is under the limits: one MGET, and a TTL only for a counter that reached its limit.
      const counts = await this.redis.mget(names);
      const reached = names.filter((_, index) => Number(counts[index] ?? 0) >= counters[index]!.limit);
      if (reached.length === 0) return 0;
      const ttls = await Promise.all(reached.map((name) => this.redis.pttl(name)));
      return Math.max(1, Math.ceil(Math.max(...ttls) / 1000));
    });
  }

  recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    return guarded(async () => {
      const multi = this.redis.multi();
      // SET NX EX opens the window on the first failure (any Redis since 2.6.12; EXPIRE NX needs 7.0).
      for (const key of keys) {
        multi.set(`${this.prefix}:${key}`, 0, 'EX', windowSeconds, 'NX').incr(`${this.prefix}:${key}`);
      }
      await multi.exec();
    });
  }
}
