// SessionStore on Redis (ioredis): environment-namespaced keys that expire with the token.
import { Redis } from 'ioredis';
import type { Environment } from '../../shared/domain.js';
import type { Clock } from '../../ports/runtime.js';
import type { IssuanceSlot, IssuedToken, SessionRecord, SessionStore } from '../../ports/session-store.js';
import { guardStore } from '../../ports/store-errors.js';

// Stores a session record, indexes it under its key (dropping expired entries), links it to each session it
// was derived from (token exchange), and, when given, keeps the token for reuse. One script rather than a MULTI
// of six commands: the same all-or-nothing write for a fraction of the client-side work (the token endpoint's
// profile showed ioredis per-command costs). An index lives until its longest-lived member's exp (its highest
// score), whatever order they came in.
// KEYS = session, key-sessions index, one derived set per ancestor[, issued hash]
// ARGV = record, expire-at ms, exp, jti, now s, number of ancestors[, slot, token, reuse-until ms]
const SAVE_SESSION = `
local function index(key, score, member)
  redis.call('ZADD', key, score, member)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[5])
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] then redis.call('PEXPIREAT', key, tonumber(newest[2]) * 1000) end
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
index(KEYS[2], ARGV[3], ARGV[4])
local ancestors = tonumber(ARGV[6])
for i = 1, ancestors do index(KEYS[2 + i], ARGV[3], ARGV[4]) end
local issued = KEYS[3 + ancestors]
if issued then
  redis.call('HSET', issued, ARGV[7], ARGV[8])
  redis.call('PEXPIREAT', issued, ARGV[9])
end
return 1`;

// Marks one session revoked, keeping its TTL, with every live session derived from it, and drops the key's
// reusable tokens. KEYS = session, its derived set; ARGV = issued-hash prefix, session prefix, now s.
const REVOKE_SESSION = `
local function revoke(key, value)
  local record = cjson.decode(value)
  if not record.revoked then
    record.revoked = true
    redis.call('SET', key, cjson.encode(record), 'KEEPTTL')
  end
  return record
end
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local record = revoke(KEYS[1], value)
for _, jti in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[3], '+inf')) do
  local child = redis.call('GET', ARGV[2] .. jti)
  if child then revoke(ARGV[2] .. jti, child) end
end
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

/**
 * A client tuned to fail fast: no offline queue, bounded timeouts, background reconnects. Commands issued
 * in the same tick (concurrent requests' checks and writes) go out as one pipelined write.
 */
export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1500,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
}

/** Every ioredis error is a connection, timeout or server fault: the store is unavailable. */
export function guarded<T>(work: () => Promise<T>): Promise<T> {
  return guardStore('redis', work);
}

interface SessionScripts {
  saveSession(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<unknown>;
}

export class RedisSessionStore implements SessionStore {
  private readonly scripts: SessionScripts;
  private readonly prefix: string;
  private readonly clock: Clock;

  constructor(
    private readonly redis: Redis,
    options: { prefix?: string; clock: Clock },
  ) {
    this.prefix = options.prefix ?? 'km';
    this.clock = options.clock;
    // defineCommand sends EVALSHA and falls back to EVAL when the server has not seen the script yet.
    if (!('kmSaveSession' in redis)) redis.defineCommand('kmSaveSession', { lua: SAVE_SESSION });
    const client = redis as unknown as { kmSaveSession: SessionScripts['saveSession'] };
    this.scripts = { saveSession: (...args) => client.kmSaveSession(...args) };
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private key(environment: Environment, kind: string, id: string): string {
    return `${this.prefix}:${environment}:${kind}:${id}`;
  }

  saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
  ): Promise<void> {
    return guarded(async () => {
      const ancestors = record.ancestors ?? [];
      const keys = [
        this.key(environment, 'session', record.jti),
        this.key(environment, 'key-sessions', record.keyId),
        ...ancestors.map((ancestor) => this.key(environment, 'derived', ancestor)),
      ];
      const args: (string | number)[] = [JSON.stringify(record), record.exp * 1000, record.exp, record.jti, this.nowSeconds(), ancestors.length];
      if (issued) {
        keys.push(this.key(environment, 'issued', issued.slot.keyId));
        args.push(issued.slot.slot, JSON.stringify(issued.token), issued.reuseUntil * 1000);
      }
      await this.scripts.saveSession(keys.length, ...keys, ...args);
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
      const revoked = await this.redis.eval(
        REVOKE_SESSION,
        2,
        this.key(environment, 'session', jti),
        this.key(environment, 'derived', jti),
        this.key(environment, 'issued', ''),
        this.key(environment, 'session', ''),
        this.nowSeconds(),
      );
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
        this.nowSeconds(),
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
}
