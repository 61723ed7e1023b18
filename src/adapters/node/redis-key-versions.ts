// KeyVersions on Redis (ioredis): one string per key, `km:{key:<keyId>}:version`, set to a random mark.
import { randomUUID } from 'node:crypto';
import { CHANGING_MARK, KEY_VERSION_TTL_SECONDS, type KeyVersions } from '../../ports/key-versions.js';
import { guarded, type RedisClient } from './redis-client.js';

export class RedisKeyVersions implements KeyVersions {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'km';
  }

  private name(keyId: string): string {
    return `${this.prefix}:{key:${keyId}}:version`;
  }

  read(keyId: string): Promise<string> {
    return guarded(async () => (await this.redis.get(this.name(keyId))) ?? '');
  }

  beginChange(keyId: string): Promise<void> {
    return this.set(keyId, `${CHANGING_MARK}${randomUUID()}`);
  }

  change(keyId: string): Promise<void> {
    return this.set(keyId, randomUUID());
  }

  private set(keyId: string, mark: string): Promise<void> {
    return guarded(async () => void (await this.redis.set(this.name(keyId), mark, 'EX', KEY_VERSION_TTL_SECONDS)));
  }
}
