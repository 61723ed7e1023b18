// KeyVersions on Redis (ioredis): one string per application ID, `km:{<env>:authfail:client:<applicationId>}:key-mark`.
// Its hash tag is the name of the ID's failure counter (clientFailureCounter, tagged as redis-rate-limiter.ts does), so
// on a Redis Cluster the token endpoint's two reads of a request, sent together, go to one node in one write.
import { randomUUID } from 'node:crypto';
import { CHANGING_MARK, KEY_CHANGE_LEASE_MS, KEY_VERSION_TTL_SECONDS, type KeyVersions } from '../../ports/key-versions.js';
import { clientFailureCounter } from '../../ports/rate-limiter.js';
import { defineScript, guarded, type RedisClient } from './redis-client.js';

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

  private name(environment: string, applicationId: string): string {
    return `${this.prefix}:{${clientFailureCounter(environment, applicationId)}}:key-mark`;
  }

  read(environment: string, applicationId: string): Promise<string> {
    return guarded(this.redis, async () => (await this.redis.get(this.name(environment, applicationId))) ?? '');
  }

  beginChange(environment: string, applicationIds: readonly string[]): Promise<void> {
    return this.set(environment, applicationIds, CHANGING_MARK);
  }

  change(environment: string, applicationIds: readonly string[]): Promise<void> {
    return this.set(environment, applicationIds, '');
  }

  // One SET per ID (each its own slot on a Cluster), sent together.
  private set(environment: string, applicationIds: readonly string[], lead: string): Promise<void> {
    return guarded(this.redis, async () => {
      await Promise.all(
        applicationIds.map((id) => this.redis.set(this.name(environment, id), `${lead}${randomUUID()}`, 'EX', KEY_VERSION_TTL_SECONDS)),
      );
    });
  }
}
