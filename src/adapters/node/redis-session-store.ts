// SessionStore on Redis (ioredis): every record of one API key in one hash slot, found by jti alone.
import type { Environment } from '../../shared/domain.js';
import type { Clock } from '../../ports/runtime.js';
import { partitionForRecord, partitionOfSessionId, sessionPartition } from '../../ports/session-ids.js';
import type { IssuanceSlot, IssuedToken, SessionRecord, SessionStore } from '../../ports/session-store.js';
import { type KeyMark, StaleKeyError } from '../../ports/key-versions.js';
import { defineScript, guarded, type RedisClient } from './redis-client.js';

// Stores a session record, indexes it under its key (dropping expired entries), links it to each session it
// was derived from (token exchange), and, when given, keeps the token for reuse. One script rather than a MULTI
// of six commands: the same all-or-nothing write for a fraction of the client-side work (the token endpoint's
// profile showed ioredis per-command costs). An index lives until its longest-lived member's exp (its highest
// score), whatever order they came in. Given the key's mark (redis-key-versions.ts, the same slot), it writes
// nothing and answers 0 unless the mark is still the one named.
// KEYS = session, key-sessions index, one derived set per ancestor[, issued hash][, key mark]
// ARGV = record, expire-at ms, exp, jti, now s, number of ancestors, '1' with an issued hash, '1' with a key mark,
//        the mark expected[, slot, token, reuse-until ms]
const SAVE_SESSION = `
local function index(key, score, member)
  redis.call('ZADD', key, score, member)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[5])
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] then redis.call('PEXPIREAT', key, tonumber(newest[2]) * 1000) end
end
local ancestors = tonumber(ARGV[6])
local following = 3 + ancestors
local issued
if ARGV[7] == '1' then
  issued = KEYS[following]
  following = following + 1
end
if ARGV[8] == '1' and (redis.call('GET', KEYS[following]) or '') ~= ARGV[9] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
index(KEYS[2], ARGV[3], ARGV[4])
for i = 1, ancestors do index(KEYS[2 + i], ARGV[3], ARGV[4]) end
if issued then
  redis.call('HSET', issued, ARGV[10], ARGV[11])
  redis.call('PEXPIREAT', issued, ARGV[12])
end
return 1`;

// Marks one session revoked, keeping its TTL, with every live session derived from it (its derived set and the
// sessions it names share its key's hash slot), and (given the prefix of its key's issued hash, which shares that
// slot too) drops the key's reusable tokens. Returns the session's key id, or nil for an unknown session.
// KEYS = session[, its derived set]; ARGV = issued-hash prefix ('' to leave the issuance cache to the caller),
// session prefix of the derived set's partition, now s.
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
if not value then return false end
local record = revoke(KEYS[1], value)
if KEYS[2] then
  for _, jti in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[3], '+inf')) do
    local child = redis.call('GET', ARGV[2] .. jti)
    if child then revoke(ARGV[2] .. jti, child) end
  end
end
if ARGV[1] ~= '' then redis.call('DEL', ARGV[1] .. record.keyId) end
return record.keyId`;

// Marks every live session of a key revoked: KEYS = key-sessions index, issued hash; ARGV = session prefix, now.
// The session names it builds share the index's hash slot (the same partition).
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
 * `km:{sandbox:Ab3d}:<kind>:<id>`: the hash tag (in braces) is the environment and a key's partition
 * (`sessionPartition`), so every name of one key's records, and its mark (redis-key-versions.ts), share one slot.
 */
export function partitionedName(prefix: string, environment: string, partition: string, kind: string, id: string): string {
  return `${prefix}:{${environment}:${partition}}:${kind}:${id}`;
}

/** A key's mark (redis-key-versions.ts), in its sessions' slot, for the session write to check. */
export function keyMarkName(prefix: string, environment: string, keyId: string): string {
  return partitionedName(prefix, environment, sessionPartition(keyId), 'key-mark', keyId);
}

/** `whileMark`, which must be the mark of `keyId`: the key whose names the script touches, in that mark's slot. */
function markFor(whileMark: KeyMark | undefined, keyId: string): void {
  if (whileMark && whileMark.keyId !== keyId) throw new TypeError(`the mark of key ${whileMark.keyId} cannot guard the records of key ${keyId}`);
}

// A key's reusable token for a slot, read only while the key's mark is the one named: KEYS = issued hash, key mark;
// ARGV = slot, the mark expected. Answers the token (or nil), or 0 when the mark moved on.
const FIND_ISSUED = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[2] then return 0 end
return redis.call('HGET', KEYS[1], ARGV[1])`;

interface SessionScripts {
  saveSession(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<unknown>;
  findIssued(numberOfKeys: 2, issued: string, mark: string, slot: string, expected: string): Promise<string | null | 0>;
}

/**
 * A key's records live under `km:{env:P}:…`, P being the key's partition (`sessionPartition`), which every
 * session id it mints starts with: a session (`…:session:<jti>`), the key's session index and its issued
 * tokens share one hash slot, so each script keeps to one Redis Cluster node, while different keys spread
 * over the cluster. Sessions whose jti has no partition were minted before this layout: they are read and
 * revoked under their older names (`km:{env}:session:<jti>`, and the older per-key index) — see docs/storage.md.
 */
export class RedisSessionStore implements SessionStore {
  private readonly scripts: SessionScripts;
  private readonly prefix: string;
  private readonly clock: Clock;
  /** Whether revoke-sessions also sweeps the older, unpartitioned index: never on a Cluster, which never held it. */
  private readonly legacyIndex: boolean;

  constructor(
    private readonly redis: RedisClient,
    options: { prefix?: string; clock: Clock },
  ) {
    this.prefix = options.prefix ?? 'km';
    this.clock = options.clock;
    this.legacyIndex = !('isCluster' in redis && redis.isCluster);
    defineScript(redis, 'kmSaveSession', SAVE_SESSION);
    defineScript(redis, 'kmFindIssued', FIND_ISSUED);
    const client = redis as unknown as { kmSaveSession: SessionScripts['saveSession']; kmFindIssued: SessionScripts['findIssued'] };
    this.scripts = { saveSession: (...args) => client.kmSaveSession(...args), findIssued: (...args) => client.kmFindIssued(...args) };
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private key(environment: Environment, partition: string, kind: string, id: string): string {
    return partitionedName(this.prefix, environment, partition, kind, id);
  }

  /** The names used before partitions, for sessions minted then. */
  private legacyKey(environment: Environment, kind: string, id: string): string {
    return `${this.prefix}:${environment}:${kind}:${id}`;
  }

  private sessionKey(environment: Environment, jti: string): { name: string; partition: string | undefined } {
    const partition = partitionOfSessionId(jti);
    return {
      name: partition ? this.key(environment, partition, 'session', jti) : this.legacyKey(environment, 'session', jti),
      partition,
    };
  }

  private issuedKey(environment: Environment, keyId: string): string {
    return this.key(environment, sessionPartition(keyId), 'issued', keyId);
  }

  async saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
    whileMark?: KeyMark,
  ): Promise<void> {
    const partition = partitionForRecord(record, issued?.slot);
    markFor(whileMark, record.keyId);
    const saved = await guarded(this.redis, async () => {
      // A derived session belongs to its subject's key (its jti is made with that key's id), so the derived set of
      // every ancestor lives in the same partition, and the one script keeps to one hash slot.
      const ancestors = record.ancestors ?? [];
      const keys = [
        this.key(environment, partition, 'session', record.jti),
        this.key(environment, partition, 'key-sessions', record.keyId),
        ...ancestors.map((ancestor) => this.key(environment, partition, 'derived', ancestor)),
      ];
      const args: (string | number)[] = [
        JSON.stringify(record),
        record.exp * 1000,
        record.exp,
        record.jti,
        this.nowSeconds(),
        ancestors.length,
        issued ? '1' : '',
        whileMark ? '1' : '',
        whileMark?.mark ?? '',
      ];
      if (issued) {
        keys.push(this.key(environment, partition, 'issued', record.keyId));
        args.push(issued.slot.slot, JSON.stringify(issued.token), issued.reuseUntil * 1000);
      }
      if (whileMark) keys.push(keyMarkName(this.prefix, environment, record.keyId));
      return this.scripts.saveSession(keys.length, ...keys, ...args);
    });
    if (saved === 0) throw new StaleKeyError(record.keyId);
  }

  getSession(environment: Environment, jti: string): Promise<SessionRecord | null> {
    return guarded(this.redis, async () => {
      const value = await this.redis.get(this.sessionKey(environment, jti).name);
      return value ? (JSON.parse(value) as SessionRecord) : null;
    });
  }

  revokeSession(environment: Environment, jti: string): Promise<boolean> {
    return guarded(this.redis, async () => {
      const { name, partition } = this.sessionKey(environment, jti);
      const now = this.nowSeconds();
      if (partition) {
        const keyId = (await this.redis.eval(
          REVOKE_SESSION,
          2,
          name,
          this.key(environment, partition, 'derived', jti),
          this.key(environment, partition, 'issued', ''),
          this.key(environment, partition, 'session', ''),
          now,
        )) as string | null;
        return keyId !== null;
      }
      const keyId = (await this.redis.eval(REVOKE_SESSION, 1, name, '', '', now)) as string | null;
      if (keyId === null) return false;
      // An older session's key keeps its reusable tokens, and what was derived from the session, in the key's
      // partition, another slot: a script of its own (one Redis only: no Cluster ever held an older session).
      const keyPartition = sessionPartition(keyId);
      await this.redis.eval(
        REVOKE_KEY_SESSIONS,
        2,
        this.key(environment, keyPartition, 'derived', jti),
        this.issuedKey(environment, keyId),
        this.key(environment, keyPartition, 'session', ''),
        now,
      );
      return true;
    });
  }

  revokeKeySessions(environment: Environment, keyId: string): Promise<number> {
    return guarded(this.redis, async () => {
      const partition = sessionPartition(keyId);
      const now = this.nowSeconds();
      const revoked = [
        this.redis.eval(
          REVOKE_KEY_SESSIONS,
          2,
          this.key(environment, partition, 'key-sessions', keyId),
          this.key(environment, partition, 'issued', keyId),
          this.key(environment, partition, 'session', ''),
          now,
        ),
      ];
      // Sessions minted before partitions, under the older names (all of one Redis: no Cluster ever held them).
      if (this.legacyIndex) {
        revoked.push(
          this.redis.eval(
            REVOKE_KEY_SESSIONS,
            2,
            this.legacyKey(environment, 'key-sessions', keyId),
            this.legacyKey(environment, 'issued', keyId),
            this.legacyKey(environment, 'session', ''),
            now,
          ),
        );
      }
      const counts = await Promise.all(revoked);
      return counts.reduce<number>((sum, count) => sum + Number(count), 0);
    });
  }

  async findIssued(environment: Environment, slot: IssuanceSlot, whileMark?: KeyMark): Promise<IssuedToken | null> {
    markFor(whileMark, slot.keyId);
    const issued = this.issuedKey(environment, slot.keyId);
    const value = await guarded(this.redis, () =>
      whileMark
        ? this.scripts.findIssued(2, issued, keyMarkName(this.prefix, environment, slot.keyId), slot.slot, whileMark.mark)
        : this.redis.hget(issued, slot.slot),
    );
    if (value === 0) throw new StaleKeyError(slot.keyId);
    return typeof value === 'string' ? (JSON.parse(value) as IssuedToken) : null;
  }
}
