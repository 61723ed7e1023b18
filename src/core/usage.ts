// lastUsedAt bookkeeping: at most one write per key per minute, never on the request's critical path.
import type { KeyStore } from '../ports/key-store.js';
import type { Clock, Defer, Logger } from '../ports/runtime.js';

export interface UsageRecorder {
  recordUse(keyId: string): void;
}

const WRITE_INTERVAL_MS = 60_000;
const MAX_TRACKED_KEYS = 100_000;

export function createUsageRecorder(deps: { keys: KeyStore; clock: Clock; defer: Defer; logger: Logger }): UsageRecorder {
  const lastWritten = new Map<string, number>();
  return {
    recordUse(keyId) {
      const now = deps.clock.now();
      const previous = lastWritten.get(keyId);
      if (previous !== undefined && now - previous < WRITE_INTERVAL_MS) return;
      if (lastWritten.size >= MAX_TRACKED_KEYS) lastWritten.clear();
      lastWritten.set(keyId, now);
      deps.defer(
        deps.keys.touchKey(keyId, now).catch((error: unknown) => {
          lastWritten.delete(keyId);
          deps.logger.warn('could not record lastUsedAt', { keyId, error: String(error) });
        }),
      );
    },
  };
}
