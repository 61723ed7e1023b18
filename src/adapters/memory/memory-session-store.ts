// SessionStore and RateLimiter in process memory: for a single process without Redis, and for unit tests.
import type { Environment } from '../../shared/domain.js';
import type { FailureCounter, RateLimiter } from '../../ports/rate-limiter.js';
import type { Clock } from '../../ports/runtime.js';
import { systemClock } from '../../ports/runtime.js';
import type { IssuanceSlot, IssuedToken, SessionRecord, SessionStore } from '../../ports/session-store.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

const SWEEP_EVERY_WRITES = 1000;

export class MemorySessionStore implements SessionStore, RateLimiter {
  private readonly entries = new Map<string, Expiring<unknown>>();
  private writes = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  private read<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  private write(key: string, value: unknown, expiresAt: number): void {
    this.entries.set(key, { value, expiresAt });
    if (++this.writes % SWEEP_EVERY_WRITES === 0) {
      const now = this.clock.now();
      for (const [name, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(name);
    }
  }

  async saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
  ): Promise<void> {
    const expiresAt = record.exp * 1000;
    this.write(`${environment}:session:${record.jti}`, { ...record }, expiresAt);
    const indexKey = `${environment}:key-sessions:${record.keyId}`;
    const index = this.read<Set<string>>(indexKey) ?? new Set<string>();
    index.add(record.jti);
    this.write(indexKey, index, expiresAt);
    if (issued) {
      const cacheKey = `${environment}:issued:${issued.slot.keyId}`;
      const cache = this.read<Map<string, IssuedToken>>(cacheKey) ?? new Map<string, IssuedToken>();
      cache.set(issued.slot.slot, issued.token);
      this.write(cacheKey, cache, issued.reuseUntil * 1000);
    }
  }

  async getSession(environment: Environment, jti: string): Promise<SessionRecord | null> {
    const record = this.read<SessionRecord>(`${environment}:session:${jti}`);
    return record ? { ...record } : null;
  }

  async revokeSession(environment: Environment, jti: string): Promise<boolean> {
    const record = this.read<SessionRecord>(`${environment}:session:${jti}`);
    if (!record) return false;
    record.revoked = true;
    this.entries.delete(`${environment}:issued:${record.keyId}`);
    return true;
  }

  async revokeKeySessions(environment: Environment, keyId: string): Promise<number> {
    const index = this.read<Set<string>>(`${environment}:key-sessions:${keyId}`) ?? new Set<string>();
    let count = 0;
    for (const jti of index) {
      const record = this.read<SessionRecord>(`${environment}:session:${jti}`);
      if (record && !record.revoked) {
        record.revoked = true;
        count++;
      }
    }
    this.entries.delete(`${environment}:issued:${keyId}`);
    return count;
  }

  async findIssued(environment: Environment, slot: IssuanceSlot): Promise<IssuedToken | null> {
    return this.read<Map<string, IssuedToken>>(`${environment}:issued:${slot.keyId}`)?.get(slot.slot) ?? null;
  }

  async retryAfter(counters: readonly FailureCounter[]): Promise<number> {
    let wait = 0;
    for (const { key, limit } of counters) {
      const entry = this.entries.get(key);
      const count = this.read<number>(key) ?? 0;
      if (entry && count >= limit) wait = Math.max(wait, 1, Math.ceil((entry.expiresAt - this.clock.now()) / 1000));
    }
    return wait;
  }

  async recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry && entry.expiresAt > this.clock.now()) entry.value = (entry.value as number) + 1;
      else this.write(key, 1, this.clock.now() + windowSeconds * 1000);
    }
  }
}
