// RateLimiter on Redis (ioredis): fixed-window failure counters shared by every gateway process.
import type { FailureCounter, RateLimiter } from '../../ports/rate-limiter.js';
import type { RedisClient } from './redis-client.js';
import { guarded } from './redis-session-store.js';

/**
 * A counter is a string key holding the number of failures; its window is the key's TTL, which Redis sets
 * with the first failure and enforces itself, so this adapter computes no time of its own. Each command
 * touches one counter: a client's and an IP's counters hash to different slots of a Redis Cluster (tagging
 * them alike would put every failure of an environment on one node), and commands issued together still
 * leave in one write per node (auto-pipelining).
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'km';
  }

  retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    return guarded(async () => {
      if (counters.length === 0) return 0;
      const names = counters.map(({ key }) => `${this.prefix}:${key}`);
      // Nearly every call is under the limits: one GET per counter, and a TTL only for a counter that reached its limit.
      const counts = await Promise.all(names.map((name) => this.redis.get(name)));
      const reached = names.filter((_, index) => Number(counts[index] ?? 0) >= counters[index]!.limit);
      if (reached.length === 0) return 0;
      const ttls = await Promise.all(reached.map((name) => this.redis.pttl(name)));
      return Math.max(1, Math.ceil(Math.max(...ttls) / 1000));
    });
  }

  recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    return guarded(async () => {
      // One transaction per counter: SET NX EX opens the window on the first failure (any Redis since 2.6.12;
      // EXPIRE NX needs 7.0), INCR counts it.
      await Promise.all(
        keys.map(async (key) => {
          const name = `${this.prefix}:${key}`;
          const replies = await this.redis.multi().set(name, 0, 'EX', windowSeconds, 'NX').incr(name).exec();
          const failed = replies?.find(([error]) => error)?.[0];
          if (failed) throw failed;
        }),
      );
    });
  }
}
