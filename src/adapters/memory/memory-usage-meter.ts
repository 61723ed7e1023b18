// UsageMeter in process memory: for one process without Redis (counts end with the process), and for unit tests.
import { systemClock, type Clock } from '../../ports/runtime.js';
import type { KeyRef } from '../../ports/key-ref.js';
import {
  emptyCounts,
  HOUR_MS,
  USAGE_KEEP_MS,
  type HourlyUsage,
  type UsageCounter,
  type UsageCounts,
  type UsageMeter,
} from '../../ports/usage-meter.js';

const SWEEP_EVERY_WRITES = 10_000;

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
      for (const hourStartMs of hours.keys()) if (hourStartMs < now - USAGE_KEEP_MS) hours.delete(hourStartMs);
      if (hours.size === 0) this.keys.delete(name);
    }
  }
}
