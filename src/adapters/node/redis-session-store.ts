// SessionStore and RateLimiter on Redis (ioredis): environment-namespaced keys that expire with the token.
import { Redis } from 'ioredis';
import type { Environment } from '../../core/environments.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import {
  SessionStoreUnavailableError,
  type IssuanceSlot,
  type IssuedToken,
  type SessionRecord,
  type SessionStore,
} from '../../ports/session-store.js';

// Marks one session revoked, keeping its TTL, and drops the key's reusable tokens.
const REVOKE_SESSION = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local record = cjson.decode(value)
record.revoked = true
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
redis.call('DEL', ARGV[1] .. record.keyId)
return 1`;

// Marks every live session of a key revoked: KEYS = key-sessions index, issued hash; ARGV = session prefix, now.
const REVOKE_KEY_SESSIONS = `
local jtis = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')
local count = 0
for _, jti in ipairs(jtis) do
  local key = ARGV[1] .. jti
  local value = redis.call('GET', key)
  if value then
    local record = cjson.decode(value)
    if not record.revoked then
      record.revoked = true
      redis.call('SET', key, cjson.encode(record), 'KEEPTTL')
      count = count + 1
    end
  end
end
redis.call('DEL', KEYS[2])
return count`;

/** A client tuned to fail fast: no offline queue, bounded timeouts, background reconnects. */
export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1500,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new SessionStoreUnavailableError(`redis: ${(error as Error).message}`, { cause: error });
  }
}

export class RedisSessionStore implements SessionStore, RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'km',
  ) {}

  private key(environment: Environment, kind: string, id: string): string {
    return `${this.prefix}:${environment}:${kind}:${id}`;
  }

  saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
  ): Promise<void> {
    return guarded(async () => {
      const index = this.key(environment, 'key-sessions', record.keyId);
      const expireAt = record.exp * 1000;
      const multi = this.redis
        .multi()
        .set(this.key(environment, 'session', record.jti), JSON.stringify(record), 'PXAT', expireAt)
        .zadd(index, record.exp, record.jti)
        .zremrangebyscore(index, '-inf', `(${Math.floor(Date.now() / 1000)}`)
        .pexpireat(index, expireAt);
      if (issued) {
        const cache = this.key(environment, 'issued', issued.slot.keyId);
        multi.hset(cache, issued.slot.slot, JSON.stringify(issued.token)).pexpireat(cache, issued.reuseUntil * 1000);
      }
      const results = await multi.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    });
  }

  getSession(environment: Environment, jti: string): Promise<SessionRecord | null> {
    return guarded(async () => {
      const value = await this.redis.get(this.key(environment, 'session', jti));
      return value ? (JSON.parse(value) as SessionRecord) : null;
    });
  }

  revokeSession(environment: Environment, jti: string): Promise<boolean> {
    return guarded(async () => {
      const issuedPrefix = this.key(environment, 'issued', '');
      const revoked = await this.redis.eval(REVOKE_SESSION, 1, this.key(environment, 'session', jti), issuedPrefix);
      return revoked === 1;
    });
  }

  revokeKeySessions(environment: Environment, keyId: string): Promise<number> {
    return guarded(async () => {
      const count = await this.redis.eval(
        REVOKE_KEY_SESSIONS,
        2,
        this.key(environment, 'key-sessions', keyId),
        this.key(environment, 'issued', keyId),
        this.key(environment, 'session', ''),
        Math.floor(Date.now() / 1000),
      );
      return Number(count);
    });
  }

  findIssued(environment: Environment, slot: IssuanceSlot): Promise<IssuedToken | null> {
    return guarded(async () => {
      const value = await this.redis.hget(this.key(environment, 'issued', slot.keyId), slot.slot);
      return value ? (JSON.parse(value) as IssuedToken) : null;
    });
  }

  retryAfter(key: string, limit: number): Promise<number> {
    return guarded(async () => {
      const counter = `${this.prefix}:${key}`;
      const [[, count], [, ttl]] = (await this.redis.multi().get(counter).pttl(counter).exec()) as [
        [unknown, string | null],
        [unknown, number],
      ];
      if (Number(count ?? 0) < limit) return 0;
      return Math.max(1, Math.ceil(ttl / 1000));
    });
  }

  recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    return guarded(async () => {
      const multi = this.redis.multi();
      // SET NX EX opens the window on the first failure (any Redis since 2.6.12; EXPIRE NX needs 7.0).
      for (const key of keys) {
        multi.set(`${this.prefix}:${key}`, 0, 'EX', windowSeconds, 'NX').incr(`${this.prefix}:${key}`);
      }
      await multi.exec();
    });
  }
}
