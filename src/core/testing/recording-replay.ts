// A ReplayGuard for tests: one process's memory, keeping each jti with the expiry it was given.
import type { ReplayGuard } from '../replay.js';

export interface RecordingReplay extends ReplayGuard {
  /** jti → expiresAt (seconds), as the verifier asked for it. */
  readonly seen: Map<string, number>;
}

export function recordingReplay(): RecordingReplay {
  const seen = new Map<string, number>();
  const guard = async (jti: string, expiresAt: number) => {
    if (seen.has(jti)) return false;
    seen.set(jti, expiresAt);
    return true;
  };
  return Object.assign(guard, { seen });
}
