// ReplayStore: single-use identifiers (the `jti` of client assertions and DPoP proofs), remembered until they expire, across nodes.
import type { Environment } from '../shared/domain.js';

export interface ReplayStore {
  /**
   * True the first time `id` is seen in `environment` before `expiresAt` (seconds since the epoch), false on
   * every later call until then. One atomic write where the backend has one (Redis `SET NX PXAT`), so two
   * nodes asked at once cannot both answer true. `id` is a fixed-length name (core/replay.ts `replayRecordId`).
   */
  firstSeen(environment: Environment, id: string, expiresAt: number): Promise<boolean>;
}
