// ReplayStore in process memory: one process's record of single-use identifiers (no REDIS_URL).
import type { Environment } from '../../shared/domain.js';
import type { ReplayStore } from '../../ports/replay-store.js';
import type { Clock } from '../../ports/runtime.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryReplayStore implements ReplayStore {
  private readonly seen: ExpiringMap<true>;

  constructor(clock: Clock) {
    this.seen = new ExpiringMap(clock);
  }

  async firstSeen(environment: Environment, id: string, expiresAt: number): Promise<boolean> {
    const name = `${environment}:${id}`;
    // Check and write in one synchronous step: no other call can come between them in this process.
    if (this.seen.get(name)) return false;
    this.seen.set(name, true, expiresAt * 1000);
    return true;
  }
}
