// ConsoleSessionStore on Redis (ioredis): one hash per session under `{prefix}:console:session:{idHash}`, expiring with it.
import type { RedisClient } from './redis-client.js';
import type { ConsoleSessionRecord, ConsoleSessionStore } from '../../ports/console-session-store.js';
import { systemClock, type Clock } from '../../ports/runtime.js';
import { guarded } from './redis-client.js';

// Records activity only while the session exists: HSET alone would recreate a hash that sign-out just deleted.
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
return 1`;

/**
 * Fields: `record` (the JSON record as created) and `seen` (the latest activity, ms). The key expires at the
 * session's absolute end; the idle timeout and the end itself are checked by the caller against its clock.
 */
export class RedisConsoleSessionStore implements ConsoleSessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = 'km',
    private readonly clock: Clock = systemClock,
  ) {}

  private key(idHash: string): string {
    return `${this.prefix}:console:session:${idHash}`;
  }

  create(idHash: string, record: ConsoleSessionRecord): Promise<void> {
    return guarded(this.redis, async () => {
      const ttl = record.expiresAt - this.clock.now();
      if (ttl <= 0) return;
      const key = this.key(idHash);
      await this.redis.multi().hset(key, { record: JSON.stringify(record), seen: record.lastSeenAt }).pexpire(key, ttl).exec();
    });
  }

  get(idHash: string): Promise<ConsoleSessionRecord | null> {
    return guarded(this.redis, async () => {
      const [record, seen] = await this.redis.hmget(this.key(idHash), 'record', 'seen');
      if (!record) return null;
      const parsed = JSON.parse(record) as ConsoleSessionRecord;
      // The key's TTL follows the wall clock; the session's end follows the injected one.
      if (parsed.expiresAt <= this.clock.now()) return null;
      return { ...parsed, lastSeenAt: Math.max(parsed.lastSeenAt, Number(seen ?? 0)) };
    });
  }

  touch(idHash: string, lastSeenAt: number): Promise<void> {
    return guarded(this.redis, async () => void (await this.redis.eval(TOUCH, 1, this.key(idHash), lastSeenAt)));
  }

  delete(idHash: string): Promise<void> {
    return guarded(this.redis, async () => void (await this.redis.del(this.key(idHash))));
  }
}
