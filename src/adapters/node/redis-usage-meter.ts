// UsageMeter on Redis: one hash per key and UTC day, a field per hour and counter, in the key's own hash slot.
import { commandNeverRan, guarded, type RedisClient } from './redis-client.js';
import type { KeyRef } from '../../ports/key-ref.js';
import { systemClock, type Clock } from '../../ports/runtime.js';
import {
  DAY_MS,
  emptyCounts,
  HOUR_MS,
  USAGE_COUNTERS,
  USAGE_KEEP_MS,
  type HourlyUsage,
  type UsageCounter,
  type UsageCounts,
  type UsageIncrement,
  type UsageMeter,
  type UsageWriteOutcome,
  type UsageWriter,
} from '../../ports/usage-meter.js';

const EXPIRY_REFRESH_MS = 60_000;
const MAX_TRACKED_HASHES = 100_000;

const COUNTERS = new Set<string>(USAGE_COUNTERS);
const pad = (value: number) => String(value).padStart(2, '0');

/**
 * `km:{sandbox:key_…}:usage:20261202` → `{"03:2xx": "17", "03:tokens": "2", …}`. A day rather than an hour per
 * hash: a key active all day costs one Redis key instead of 24, and a 90-day read is 90 HGETALLs, not 2160.
 */
export class RedisUsageMeter implements UsageMeter, UsageWriter {
  /** When this process last set each day hash's TTL. */
  private readonly expirySetAt = new Map<string, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock = systemClock,
    private readonly prefix = 'km',
  ) {}

  private dayKey(key: KeyRef, dayStartMs: number): string {
    const day = new Date(dayStartMs);
    const date = `${day.getUTCFullYear()}${pad(day.getUTCMonth() + 1)}${pad(day.getUTCDate())}`;
    return `${this.prefix}:{${key.environment}:${key.keyId}}:usage:${date}`;
  }

  count(key: KeyRef, counter: UsageCounter): Promise<void> {
    const now = this.clock.now();
    return this.write({ key, counter, hourStartMs: now - (now % HOUR_MS), amount: 1 }, now).then(() => undefined);
  }

  /**
   * Adds every increment to its hour's field. Issued in one tick, they go out in one write per Redis node (the
   * client auto-pipelines); each stands alone, so those a failing node refused are named, and the rest count.
   */
  async add(increments: readonly UsageIncrement[]): Promise<UsageWriteOutcome> {
    const now = this.clock.now();
    const settled = await Promise.allSettled(increments.map((increment) => this.write(increment, now)));
    const outcome: UsageWriteOutcome = { unwritten: [], lost: 0 };
    settled.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      outcome.error ??= result.reason;
      if (commandNeverRan(result.reason)) outcome.unwritten.push(increments[index]!);
      else outcome.lost += increments[index]!.amount;
    });
    return outcome;
  }

  private write(increment: UsageIncrement, now: number): Promise<number> {
    const dayStartMs = increment.hourStartMs - (increment.hourStartMs % DAY_MS);
    const name = this.dayKey(increment.key, dayStartMs);
    const field = `${pad(new Date(increment.hourStartMs).getUTCHours())}:${increment.counter}`;
    // The TTL is relative to the injected clock, so a test's clock gives the lifetime a real one would; each
    // setting names the same end (92 days from the day's start), which needs no `EXPIRE … NX` (Redis 7) to be
    // idempotent. A failed setting is tried again by the next write.
    const counted = guarded(this.redis, () => this.redis.hincrby(name, field, increment.amount));
    // After the HINCRBY (same pipeline): a PEXPIRE before it would find no hash to set on a day's first count.
    if (this.expiryDue(name, now)) {
      this.redis.pexpire(name, dayStartMs + USAGE_KEEP_MS - now).catch(() => this.expirySetAt.delete(name));
    }
    return counted;
  }

  /**
   * Whether this write should (re)set the hash's TTL: on its first write from this process, then at most once
   * a minute, so that a hash recreated after a Redis restart gets its TTL back within the minute. In between,
   * a call costs one HINCRBY.
   */
  private expiryDue(name: string, now: number): boolean {
    const last = this.expirySetAt.get(name);
    if (last !== undefined && now - last < EXPIRY_REFRESH_MS && now >= last) return false;
    if (this.expirySetAt.size >= MAX_TRACKED_HASHES) this.expirySetAt.clear();
    this.expirySetAt.set(name, now);
    return true;
  }

  readHours(key: KeyRef, fromMs: number, toMs: number): Promise<HourlyUsage[]> {
    return guarded(this.redis, async () => {
      const firstDay = fromMs - (fromMs % DAY_MS);
      const days: number[] = [];
      for (let day = firstDay; day < toMs; day += DAY_MS) days.push(day);
      if (days.length === 0) return [];
      // Every day of one key is in one hash slot: one pipeline to one node, also on Redis Cluster.
      const pipeline = this.redis.pipeline();
      for (const day of days) pipeline.hgetall(this.dayKey(key, day));
      const replies = (await pipeline.exec()) ?? [];
      const hours = new Map<number, UsageCounts>();
      replies.forEach(([error, fields], index) => {
        if (error) throw error;
        for (const [field, value] of Object.entries(fields as Record<string, string>)) {
          const [hour, counter] = field.split(':') as [string, string];
          const hourStartMs = days[index]! + Number(hour) * HOUR_MS;
          if (!COUNTERS.has(counter) || hourStartMs < fromMs || hourStartMs >= toMs) continue;
          let counts = hours.get(hourStartMs);
          if (!counts) hours.set(hourStartMs, (counts = emptyCounts()));
          counts[counter as UsageCounter] += Number(value);
        }
      });
      return [...hours].sort(([a], [b]) => a - b).map(([hourStartMs, counts]) => ({ hourStartMs, counts }));
    });
  }
}
