// UsageMeter in process memory: for one process without Redis (counts end with the process), and for unit tests.
import { systemClock, type Clock } from '../../ports/runtime.js';
import type { KeyRef } from '../../ports/key-ref.js';
import {
  DAY_MS,
  emptyCounts,
  HOUR_MS,
  USAGE_RETENTION_DAYS,
  type HourlyUsage,
  type UsageCounter,
  type UsageCounts,
  type UsageMeter,
} from '../../ports/usage-meter.js';

const SWEEP_EVERY_WRITES = 10_000;
// As long as the Redis adapter keeps a day: its 90 days, a day for the day itself, and a day's grace.
const KEEP_MS = (USAGE_RETENTION_DAYS + 2) * DAY_MS;

export class MemoryUsageMeter implements UsageMeter {
  /** By `env:keyId`, then by hour start. */
  private readonly keys = new Map<string, Map<number, UsageCounts>>();
  private writes = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async count(key: KeyRef, counter: UsageCounter): Promise<void> {
    const now = this.clock.now();
    const hourStartMs = now - (now % HOUR_MS);
    const name = `${key.environment}:${key.keyId}`;
    let hours = this.keys.get(name);
    if (!hours) this.keys.set(name, (hours = new Map()));
    let counts = hours.get(hourStartMs);
    if (!counts) hours.set(hourStartMs, (counts = emptyCounts()));
    counts[counter]++;
    if (++this.writes % SWEEP_EVERY_WRITES === 0) this.sweep(now);
  }

  async readHours(key: KeyRef, fromMs: number, toMs: number): Promise<HourlyUsage[]> {
    const hours = this.keys.get(`${key.environment}:${key.keyId}`) ?? new Map<number, UsageCounts>();
    return [...hours]
      .filter(([hourStartMs]) => hourStartMs >= fromMs && hourStartMs < toMs)
      .sort(([a], [b]) => a - b)
      .map(([hourStartMs, counts]) => ({ hourStartMs, counts: { ...counts } }));
  }

  private sweep(now: number): void {
    for (const [name, hours] of this.keys) {
      for (const hourStartMs of hours.keys()) if (hourStartMs < now - KEEP_MS) hours.delete(hourStartMs);
      if (hours.size === 0) this.keys.delete(name);
    }
  }
}
