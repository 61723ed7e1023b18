// Usage counts (SPEC §7) gathered in process memory and written to the shared meter a few times a second: a token
// or a proxied call costs a map update instead of a Redis command, and a busy key's calls of one interval cost one
// HINCRBY. Counts not yet written are written on shutdown and before this process reads usage; a process that is
// killed (SIGKILL, a crash) loses at most its last interval's counts. A write the store refused for sure is held
// and tried again; one that may have landed (a timeout) is not, so no count is ever added twice (docs/storage.md).
import type { KeyRef } from '../../ports/key-ref.js';
import { systemClock, type Clock, type Logger, type Metrics } from '../../ports/runtime.js';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import {
  HOUR_MS,
  type HourlyUsage,
  type UsageCounter,
  type UsageIncrement,
  type UsageMeter,
  type UsageWriteOutcome,
  type UsageWriter,
} from '../../ports/usage-meter.js';

/** How often held counts are written. */
export const USAGE_FLUSH_MS = 250;
/** Distinct (key, hour, counter) entries held at most, e.g. while Redis is down; counts past it are dropped. */
const MAX_HELD = 100_000;
/** Entries written at once: a long-held batch after an outage goes out in parts, not as one huge pipeline. */
const CHUNK = 5_000;
/** After a write that took nothing (the store is down), the timer waits this long, doubling up to the maximum. */
const FIRST_PAUSE_MS = 500;
const MAX_PAUSE_MS = 5_000;

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
  private closed = false;
  private pauseMs = 0;
  private pausedUntil = 0;

  constructor(
    private readonly store: UsageMeter & UsageWriter,
    private readonly options: BatchedUsageMeterOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.timer = setInterval(() => {
      if (performance.now() >= this.pausedUntil) void this.flush();
    }, options.intervalMs ?? USAGE_FLUSH_MS);
    this.timer.unref();
  }

  count(key: KeyRef, counter: UsageCounter): Promise<void> {
    // After close (shutdown), nothing would write what is held: the count goes straight to the store.
    if (this.closed) return this.store.count(key, counter);
    const now = this.clock.now();
    this.hold({ key, counter, hourStartMs: now - (now % HOUR_MS), amount: 1 });
    return Promise.resolve();
  }

  /** What the store has, after this meter wrote what it held (if the store takes it). */
  async readHours(key: KeyRef, fromMs: number, toMs: number): Promise<HourlyUsage[]> {
    await this.flush();
    return this.store.readHours(key, fromMs, toMs);
  }

  /**
   * Writes what is held, after any write under way (so a caller that counted before it sees its counts written
   * when it resolves). Never rejects: what the store did not take is held again for the next interval.
   */
  flush(): Promise<void> {
    this.writing = this.writing
      .then(() => this.writeHeld())
      .catch((error: unknown) => this.options.logger.error('usage counts: a write failed unexpectedly', { error: String(error) }));
    return this.writing;
  }

  /** Stops the timer and writes what is held (shutdown); later counts are written one by one. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closed = true;
    await this.flush();
  }

  private async writeHeld(): Promise<void> {
    if (this.dropped > 0) {
      this.options.logger.warn('usage counts dropped: too many held while the usage store could not be written', { dropped: this.dropped });
      this.dropped = 0;
    }
    if (this.held.size === 0) return;
    const batch = [...this.held.values()];
    this.held = new Map();
    let written = 0;
    let lost = 0;
    let error: unknown;
    for (let start = 0; start < batch.length; start += CHUNK) {
      const part = batch.slice(start, start + CHUNK);
      const outcome = await this.store.add(part).catch((thrown: unknown): UsageWriteOutcome => ({ unwritten: part, lost: 0, error: thrown }));
      for (const increment of outcome.unwritten) this.hold(increment);
      written += part.length - outcome.unwritten.length;
      lost += outcome.lost;
      error ??= outcome.error;
    }
    this.pauseAfter(written === 0);
    if (error === undefined) return;
    if (error instanceof StoreUnavailableError) this.options.metrics.storeError(error.store);
    this.options.logger.warn('could not write usage counts', {
      held: batch.length - written,
      // Counts whose write may or may not have reached the store (a timeout, a connection lost after sending):
      // not sent again, so that no count is ever added twice.
      lost,
      error: String(error),
    });
  }

  /** Backs the timer off while the store takes nothing; a write that took anything resets it. */
  private pauseAfter(tookNothing: boolean): void {
    this.pauseMs = tookNothing ? Math.min(MAX_PAUSE_MS, this.pauseMs * 2 || FIRST_PAUSE_MS) : 0;
    this.pausedUntil = performance.now() + this.pauseMs;
  }

  private hold(increment: UsageIncrement): void {
    const id = `${increment.key.environment} ${increment.key.keyId} ${increment.hourStartMs} ${increment.counter}`;
    const held = this.held.get(id);
    if (held) held.amount += increment.amount;
    else if (this.held.size < (this.options.maxHeld ?? MAX_HELD)) this.held.set(id, increment);
    else this.dropped += increment.amount;
  }
}
