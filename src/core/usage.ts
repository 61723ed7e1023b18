// lastUsedAt bookkeeping — a key's pairs and admin tokens: at most one write per minute for each, never on the
// request's critical path.
import type { KeyPair, KeyStore } from '../ports/key-store.js';
import type { Clock, Defer, Logger } from '../ports/runtime.js';

export interface UsageRecorder {
  /** The key minted or called; `previous` when the pair it used is the one a roll with overlap keeps. */
  recordUse(keyId: string, pair?: KeyPair): void;
  /** `lastUsedAt` as stored: a token another node touched under a minute ago is not written again. */
  recordAdminTokenUse(tokenId: string, lastUsedAt: number | null): void;
}

export const USAGE_WRITE_INTERVAL_MS = 60_000;
const MAX_TRACKED = 100_000;

export function createUsageRecorder(deps: { keys: KeyStore; clock: Clock; defer: Defer; logger: Logger }): UsageRecorder {
  const lastWritten = new Map<string, number>();

  function record(what: string, write: (now: number) => Promise<void>, fields: Record<string, unknown>): void {
    const now = deps.clock.now();
    const previous = lastWritten.get(what);
    if (previous !== undefined && now - previous < USAGE_WRITE_INTERVAL_MS) return;
    if (lastWritten.size >= MAX_TRACKED) lastWritten.clear();
    lastWritten.set(what, now);
    deps.defer(
      write(now).catch((error: unknown) => {
        lastWritten.delete(what);
        deps.logger.warn('could not record lastUsedAt', { ...fields, error: String(error) });
      }),
    );
  }

  return {
    recordUse(keyId, pair = 'current') {
      record(`key:${pair}:${keyId}`, (now) => deps.keys.touchKey(keyId, now, pair), { keyId, pair });
    },
    recordAdminTokenUse(tokenId, lastUsedAt) {
      if (lastUsedAt !== null && deps.clock.now() - lastUsedAt < USAGE_WRITE_INTERVAL_MS) return;
      record(`adm:${tokenId}`, (now) => deps.keys.touchAdminToken(tokenId, now), { tokenId });
    },
  };
}
