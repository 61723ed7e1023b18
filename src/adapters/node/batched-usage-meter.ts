// Usage counts (SPEC §7) gathered in process memory and written to the shared meter a few times a second: a token
// or a proxied call costs a map update instead of a Redis command, and a busy key's calls of one interval cost one
// HINCRBY. Counts not yet written are written on shutdown and before this process reads usage; a process that is
// killed (SIGKILL, a crash) loses at most its last interval's counts (docs/storage.md).
import type { KeyRef } from '../../ports/key-ref.js';
import { systemClock, type Clock, type Logger, type Metrics } from '../../ports/runtime.js';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import { HOUR_MS, type HourlyUsage, type UsageCounter, type UsageIncrement, type UsageMeter, type UsageWriter } from '../../ports/usage-meter.js';

/** How often held counts are written. */
export const USAGE_FLUSH_MS = 250;
/** Distinct (key, hour, counter) entries held at most, e.g. while Redis is down; counts past it are dropped. */
const MAX_HELD = 100_000;

export interface BatchedUsageMeterOptions {
  clock?: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'storeError'>;
  intervalMs?: number;
  maxHeld?: number;
}

export class BatchedUsageMeter implements UsageMeter {
  private held = new Map<string, UsageIncrement>();
  private dropped = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly clock: Clock;

  constructor(
    private readonly store: UsageMeter & UsageWriter,
    private readonly options: BatchedUsageMeterOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.timer = setInterval(() => void this.flush(), options.intervalMs ?? USAGE_FLUSH_MS);
    this.timer.unref();
  }

  count(key: KeyRef, counter: UsageCounter): Promise<void> {
    const now = this.clock.now();
    this.hold({ key, counter, hourStartMs: now - (now % HOUR_MS), amount: 1 });
    return Promise.resolve();
  }

  async readHours(key: KeyRef, fromMs: number, toMs: number): Promise<HourlyUsage[]> {
    await this.flush();
    return this.store.readHours(key, fromMs, toMs);
  }

  /**
   * Writes what is held, after any write under way (so a caller that counted before it sees its counts written
   * when it resolves). Never rejects: what the store did not take is held again for the next interval.
   */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeHeld());
    return this.writing;
  }

  /** Stops the timer and writes what is held (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writeHeld(): Promise<void> {
    if (this.held.size === 0 && this.dropped === 0) return;
    const batch = [...this.held.values()];
    this.held = new Map();
    if (this.dropped > 0) {
      this.options.logger.warn('usage counts dropped: too many held while the usage store could not be written', { dropped: this.dropped });
      this.dropped = 0;
    }
    if (batch.length === 0) return;
    let outcome;
    try {
      outcome = await this.store.add(batch);
    } catch (error) {
      outcome = { unwritten: batch, error };
    }
    if (outcome.unwritten.length === 0) return;
    for (const increment of outcome.unwritten) this.hold(increment);
    if (outcome.error instanceof StoreUnavailableError) this.options.metrics.storeError(outcome.error.store);
    this.options.logger.warn('could not write usage counts; holding them for the next try', {
      entries: outcome.unwritten.length,
      error: String(outcome.error),
    });
  }

  private hold(increment: UsageIncrement): void {
    const id = `${increment.key.environment} ${increment.key.keyId} ${increment.hourStartMs} ${increment.counter}`;
    const held = this.held.get(id);
    if (held) held.amount += increment.amount;
    else if (this.held.size < (this.options.maxHeld ?? MAX_HELD)) this.held.set(id, increment);
    else this.dropped += increment.amount;
  }
}
