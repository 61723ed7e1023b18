// ConsoleSessionStore on Workers KV: the record under `{prefix}:console:session:{idHash}`, activity under `…:console:seen:…`.
import type { ConsoleSessionRecord, ConsoleSessionStore } from '../../ports/console-session-store.js';
import { systemClock, type Clock } from '../../ports/runtime.js';
import { guarded, KV_MIN_TTL_SECONDS, type KvNamespaceLike } from './kv-session-store.js';

/**
 * The record is written once and only ever deleted; activity goes to a key of its own. KV has no conditional
 * write, so rewriting the record to note activity could bring back a session that sign-out deleted a moment
 * earlier, where a stray `seen` key without its record means nothing. Deletes reach other locations within
 * KV's propagation delay (up to about a minute; see docs/workers.md).
 */
export class KvConsoleSessionStore implements ConsoleSessionStore {
  private readonly prefix: string;
  private readonly clock: Clock;

  constructor(
    private readonly kv: KvNamespaceLike,
    options: { prefix?: string; clock?: Clock } = {},
  ) {
    this.prefix = options.prefix ?? 'km';
    this.clock = options.clock ?? systemClock;
  }

  private key(kind: 'session' | 'seen', idHash: string): string {
    return `${this.prefix}:console:${kind}:${idHash}`;
  }

  /** Seconds until `expiresAt` (ms), raised to KV's minimum; readers check the real deadline themselves. */
  private ttlUntil(expiresAt: number): number {
    return Math.max(KV_MIN_TTL_SECONDS, Math.ceil((expiresAt - this.clock.now()) / 1000));
  }

  create(idHash: string, record: ConsoleSessionRecord): Promise<void> {
    return guarded(async () => {
      if (record.expiresAt <= this.clock.now()) return;
      await this.kv.put(this.key('session', idHash), JSON.stringify(record), { expirationTtl: this.ttlUntil(record.expiresAt) });
    });
  }

  get(idHash: string): Promise<ConsoleSessionRecord | null> {
    return guarded(async () => {
      const [record, seen] = await Promise.all([
        this.kv.get(this.key('session', idHash), 'text'),
        this.kv.get(this.key('seen', idHash), 'text'),
      ]);
      if (record === null) return null;
      const parsed = JSON.parse(record) as ConsoleSessionRecord;
      // KV may keep an entry up to a minute past its TTL.
      if (parsed.expiresAt <= this.clock.now()) return null;
      return { ...parsed, lastSeenAt: Math.max(parsed.lastSeenAt, Number(seen ?? 0)) };
    });
  }

  touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    return guarded(async () => {
      await this.kv.put(this.key('seen', idHash), String(lastSeenAt), { expirationTtl: this.ttlUntil(expiresAt) });
    });
  }

  delete(idHash: string): Promise<void> {
    return guarded(async () => {
      await Promise.all([this.kv.delete(this.key('session', idHash)), this.kv.delete(this.key('seen', idHash))]);
    });
  }
}
