// ReplayStore on Redis (ioredis): one `SET NX PXAT` per identifier — a single key, so it is atomic on a Redis Cluster too.
import type { Environment } from '../../shared/domain.js';
import type { ReplayStore } from '../../ports/replay-store.js';
import type { RedisClient } from './redis-client.js';
import { guarded } from './redis-client.js';

/**
 * `km:{env}:jti:{id}`, expiring at `expiresAt` on Redis's clock. No hash tag: the records spread over every
 * slot of a cluster (a `{sandbox}` tag would put a whole environment's records on one node).
 */
export class RedisReplayStore implements ReplayStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'km';
  }

  firstSeen(environment: Environment, id: string, expiresAt: number): Promise<boolean> {
    return guarded(this.redis, async () => {
      // PXAT (Redis 6.2, SPEC §6): the record ends at the deadline on Redis's clock; this adapter computes no time.
      const set = await this.redis.set(`${this.prefix}:${environment}:jti:${id}`, '1', 'PXAT', expiresAt * 1000, 'NX');
      return set === 'OK';
    });
  }
}
