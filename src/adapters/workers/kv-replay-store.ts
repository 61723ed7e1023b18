// ReplayStore on Workers KV: a read, then a write — NOT atomic, and eventually consistent across locations.
import type { Environment } from '../../shared/domain.js';
import type { ReplayStore } from '../../ports/replay-store.js';
import { guarded, KvClient, kvExpirationTtl } from './kv-session-store.js';

/**
 * KV has no conditional write: two requests carrying the same `jti` at the same moment can both read
 * "unseen", and another location may not see a record for up to a minute. So a replay inside that window
 * can pass. It serves only a Worker without the REPLAY_RECORDS binding, whose Durable Objects
 * (`replay-record-object.ts`) are exact (SPEC §10); docs/workers.md says so. A replay after it is refused, as everywhere.
 */
export class KvReplayStore extends KvClient implements ReplayStore {
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
