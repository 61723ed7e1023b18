// KeyVersions on Redis (ioredis): one string per application ID, `km:{<env>:authfail:client:<applicationId>}:key-mark`.
// Its hash tag is the application ID's failure counter's (redis-rate-limiter.ts, core/client-auth.ts countersFor), so
// on a Redis Cluster the token endpoint's two reads of a request, sent together, go to one node in one write.
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

  private name(environment: string, applicationId: string): string {
    return `${this.prefix}:{${environment}:authfail:client:${applicationId}}:key-mark`;
  }

  read(environment: string, applicationId: string): Promise<string> {
    return guarded(async () => (await this.redis.get(this.name(environment, applicationId))) ?? '');
  }

  beginChange(environment: string, applicationIds: readonly string[]): Promise<void> {
    return this.set(environment, applicationIds, CHANGING_MARK);
  }

  change(environment: string, applicationIds: readonly string[]): Promise<void> {
    return this.set(environment, applicationIds, '');
  }

  // One SET per ID (each its own slot on a Cluster), sent together.
  private set(environment: string, applicationIds: readonly string[], lead: string): Promise<void> {
    return guarded(async () => {
      await Promise.all(
        applicationIds.map((id) => this.redis.set(this.name(environment, id), `${lead}${randomUUID()}`, 'EX', KEY_VERSION_TTL_SECONDS)),
      );
    });
  }
}
