// A map whose entries expire at a deadline on the injected clock: the in-process stores' storage.
import type { Clock } from '../../ports/runtime.js';

interface Expiring<T> {
  value: T;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

// Expired entries are dropped when read; a sweep every this many writes drops the ones nobody reads again.
const SWEEP_EVERY_WRITES = 1000;

export class ExpiringMap<T> {
  private readonly entries = new Map<string, Expiring<T>>();
  private writes = 0;

  constructor(private readonly clock: Clock) {}

  /** The live entry under `key`, with its deadline. */
  entry(key: string): Expiring<T> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  get(key: string): T | undefined {
    return this.entry(key)?.value;
  }

  set(key: string, value: T, expiresAt: number): void {
    this.entries.set(key, { value, expiresAt });
    if (++this.writes % SWEEP_EVERY_WRITES === 0) {
      const now = this.clock.now();
      for (const [name, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(name);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
