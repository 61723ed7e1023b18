// RateLimiter on Redis (ioredis): fixed-window failure counters shared by every gateway process.
import { admitEach, type Admission, type AttemptPlace, type FailureCounter, type RateLimiter } from '../../ports/rate-limiter.js';
import { defineScript, type RedisClient } from './redis-client.js';
import { guarded } from './redis-client.js';

// KEYS: the counter, its places. ARGV: limit, place id, lease (ms). Answers -1 (admitted) or admit's retryAfter.
// Places are a sorted set scored by lease deadline on Redis's own clock; expired ones are dropped first.
const ADMIT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if count >= limit then
  return math.max(1, math.ceil(redis.call('PTTL', KEYS[1]) / 1000))
end
if count + redis.call('ZCARD', KEYS[2]) >= limit then return 0 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return -1`;

// KEYS: the counter, its places. ARGV: place id, '1' when the attempt failed, window (s).
const RELEASE = `
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == '1' then
  redis.call('SET', KEYS[1], 0, 'EX', ARGV[3], 'NX')
  redis.call('INCR', KEYS[1])
end
return 0`;

/**
 * A counter is a string key holding the number of failures; its window is the key's TTL, which Redis sets
 * with the first failure and enforces itself. Each command touches one counter: a client's and an IP's
 * counters hash to different slots of a Redis Cluster (tagging them alike would put every failure of an
 * environment on one node), and commands issued together still leave in one write per node
 * (auto-pipelining). Beside each counter, in its own hash slot (the braces in its name), a sorted set holds
 * the places of attempts under way (admit/release), each changed by one Lua script.
 */
/** The scripts as commands (defineScript): keys first, then arguments. */
interface AttemptScripts {
  kmAdmitAttempt(keys: 2, counter: string, places: string, limit: number, id: string, leaseMs: number): Promise<number>;
  kmReleaseAttempt(keys: 2, counter: string, places: string, id: string, failed: '0' | '1', windowSeconds: number): Promise<number>;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;
  private readonly scripts: AttemptScripts;

  constructor(
    private readonly redis: RedisClient,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'km';
    defineScript(redis, 'kmAdmitAttempt', ADMIT);
    defineScript(redis, 'kmReleaseAttempt', RELEASE);
    this.scripts = redis as unknown as AttemptScripts;
  }

  /** The counter's key; the braces keep it and its places in one Redis Cluster hash slot. */
  private name(key: string): string {
    return `${this.prefix}:{${key}}`;
  }

  retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    return guarded(this.redis, async () => {
      if (counters.length === 0) return 0;
      const names = counters.map(({ key }) => this.name(key));
      // Nearly every call is under the limits: one GET per counter, and a TTL only for a counter that reached its limit.
      const counts = await Promise.all(names.map((name) => this.redis.get(name)));
      const reached = names.filter((_, index) => Number(counts[index] ?? 0) >= counters[index]!.limit);
      if (reached.length === 0) return 0;
      const ttls = await Promise.all(reached.map((name) => this.redis.pttl(name)));
      return Math.max(1, Math.ceil(Math.max(...ttls) / 1000));
    });
  }

  recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    return guarded(this.redis, async () => {
      // One transaction per counter: SET NX EX opens the window on the first failure (any Redis since 2.6.12;
      // EXPIRE NX needs 7.0), INCR counts it.
      await Promise.all(
        keys.map(async (key) => {
          const name = this.name(key);
          const replies = await this.redis.multi().set(name, 0, 'EX', windowSeconds, 'NX').incr(name).exec();
          const failed = replies?.find(([error]) => error)?.[0];
          if (failed) throw failed;
        }),
      );
    });
  }

  admit(counters: readonly FailureCounter[], options: { windowSeconds: number; leaseSeconds: number }): Promise<Admission> {
    return guarded(this.redis, () =>
      admitEach(
        counters,
        async ({ key, limit }, id) => {
          const name = this.name(key);
          const answer = Number(await this.scripts.kmAdmitAttempt(2, name, `${name}:places`, limit, id, options.leaseSeconds * 1000));
          return answer < 0 ? 'admitted' : answer;
        },
        (key, id) => this.releaseOne(key, id, false, options.windowSeconds),
        options.windowSeconds,
      ),
    );
  }

  release(place: AttemptPlace, failed: boolean): Promise<void> {
    return guarded(this.redis, async () => {
      await Promise.all(place.keys.map((key) => this.releaseOne(key, place.id, failed, place.windowSeconds)));
    });
  }

  private async releaseOne(key: string, id: string, failed: boolean, windowSeconds: number): Promise<void> {
    const name = this.name(key);
    await this.scripts.kmReleaseAttempt(2, name, `${name}:places`, id, failed ? '1' : '0', windowSeconds);
  }
}
