// ReplayStore on Workers KV: a read, then a write — NOT atomic, and eventually consistent across locations.
import type { Environment } from '../../shared/domain.js';
import type { ReplayStore } from '../../ports/replay-store.js';
import type { Clock } from '../../ports/runtime.js';
import { guarded, kvExpirationTtl, type KvNamespaceLike } from './kv-session-store.js';

/**
 * KV has no conditional write: two requests carrying the same `jti` at the same moment can both read
 * "unseen", and another location may not see a record for up to a minute. So a replay inside that window
 * can pass on Workers until the Durable Objects issue (SPEC §10) gives a strongly consistent store;
 * docs/workers.md says so. A replay after it is refused, as everywhere.
 */
export class KvReplayStore implements ReplayStore {
  private readonly clock: Clock;
  private readonly prefix: string;

  constructor(
    private readonly kv: KvNamespaceLike,
    options: { prefix?: string; clock: Clock },
  ) {
    this.prefix = options.prefix ?? 'km';
    this.clock = options.clock;
  }

  firstSeen(environment: Environment, id: string, expiresAt: number): Promise<boolean> {
    return guarded(async () => {
      const name = `${this.prefix}:${environment}:jti:${id}`;
      const seenUntil = await this.kv.get(name, 'text');
      // KV keeps a record at least 60 s: the deadline written in it is the one that counts.
      if (seenUntil !== null && Number(seenUntil) > this.clock.now() / 1000) return false;
      await this.kv.put(name, String(expiresAt), { expirationTtl: kvExpirationTtl(this.clock, expiresAt) });
      return true;
    });
  }
}
