// KeyVersions on Redis (ioredis): one string per key, `km:{<env>:<partition>}:key-mark:<keyId>`, in the hash slot of
// the key's sessions (redis-session-store.ts), so the script that saves a token's session checks the mark in the same
// command on a Redis Cluster too.
import { randomUUID } from 'node:crypto';
import { CHANGING_MARK, KEY_CHANGE_LEASE_MS, KEY_VERSION_TTL_SECONDS, type KeyVersions } from '../../ports/key-versions.js';
import { clientFailureCounter } from '../../ports/rate-limiter.js';
import { defineScript, guarded, type RedisClient } from './redis-client.js';
import { keyMarkName } from './redis-session-store.js';

// KEYS: the key's hold. ARGV: the token that took it. Deletes the hold only if that token still has it.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface HoldScripts {
  kmReleaseKeyHold(keys: 1, hold: string, token: string): Promise<number>;
}

export class RedisKeyVersions implements KeyVersions {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'km';
    defineScript(redis, 'kmReleaseKeyHold', RELEASE);
  }

  /** `km:{key:<keyId>}:change`: held by the change under way (SET NX PX), a slot of its own. */
  private holdName(keyId: string): string {
    return `${this.prefix}:{key:${keyId}}:change`;
  }

  holdKey(keyId: string): Promise<string | null> {
    return guarded(this.redis, async () => {
      const token = randomUUID();
      return (await this.redis.set(this.holdName(keyId), token, 'PX', KEY_CHANGE_LEASE_MS, 'NX')) === 'OK' ? token : null;
    });
  }

  releaseKey(keyId: string, token: string): Promise<void> {
    return guarded(this.redis, async () => void (await (this.redis as unknown as HoldScripts).kmReleaseKeyHold(1, this.holdName(keyId), token)));
  }

  /**
   * The per-application-ID name the release before marked under, `km:{<env>:authfail:client:<applicationId>}:key-mark`,
   * still written so its nodes honour changes made through new ones during a rolling upgrade (docs/scaling.md).
   */
  private formerName(environment: string, applicationId: string): string {
    return `${this.prefix}:{${clientFailureCounter(environment, applicationId)}}:key-mark`;
  }

  read(environment: string, keyId: string): Promise<string> {
    return guarded(this.redis, async () => (await this.redis.get(keyMarkName(this.prefix, environment, keyId))) ?? '');
  }

  beginChange(environment: string, keyId: string, applicationIds: readonly string[]): Promise<void> {
    return this.set(environment, keyId, applicationIds, CHANGING_MARK);
  }

  change(environment: string, keyId: string, applicationIds: readonly string[]): Promise<void> {
    return this.set(environment, keyId, applicationIds, '');
  }

  // One SET per name (each its own slot on a Cluster), sent together.
  private set(environment: string, keyId: string, applicationIds: readonly string[], lead: string): Promise<void> {
    const names = [keyMarkName(this.prefix, environment, keyId), ...applicationIds.map((id) => this.formerName(environment, id))];
    return guarded(this.redis, async () => {
      await Promise.all(names.map((name) => this.redis.set(name, `${lead}${randomUUID()}`, 'EX', KEY_VERSION_TTL_SECONDS)));
    });
  }
}
