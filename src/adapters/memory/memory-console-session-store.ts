// ConsoleSessionStore in process memory: for a single process without Redis, and for unit tests.
import type { ConsoleSessionRecord, ConsoleSessionStore } from '../../ports/console-session-store.js';
import { systemClock, type Clock } from '../../ports/runtime.js';

const SWEEP_EVERY_CREATES = 100;

export class MemoryConsoleSessionStore implements ConsoleSessionStore {
  private readonly sessions = new Map<string, ConsoleSessionRecord>();
  private creates = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async create(idHash: string, record: ConsoleSessionRecord): Promise<void> {
    this.sessions.set(idHash, { ...record, actor: { ...record.actor } });
    if (++this.creates % SWEEP_EVERY_CREATES === 0) {
      const now = this.clock.now();
      for (const [key, stored] of this.sessions) if (stored.expiresAt <= now) this.sessions.delete(key);
    }
  }

  async get(idHash: string): Promise<ConsoleSessionRecord | null> {
    const stored = this.sessions.get(idHash);
    if (!stored) return null;
    if (stored.expiresAt <= this.clock.now()) {
      this.sessions.delete(idHash);
      return null;
    }
    return { ...stored, actor: { ...stored.actor } };
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    const stored = this.sessions.get(idHash);
    if (stored) stored.lastSeenAt = Math.max(stored.lastSeenAt, lastSeenAt);
  }

  async delete(idHash: string): Promise<void> {
    this.sessions.delete(idHash);
  }
}
