// An in-process cache of key look-ups by secret hash, for `Api-Key` calls on the proxy, dropped by change notices.
import type { ChangeNotice } from '../ports/change-feed.js';
import type { KeyMatch, KeyStore } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';

export interface KeyCache {
  /** The key whose current or previous secret has this HMAC (null when none), at most `maxAgeMs()` old. */
  findKeyBySecretHash(secretHash: string): Promise<KeyMatch | null>;
  /** Applies a change notice (change-notices.ts): drops what it made stale. */
  hear(notice: ChangeNotice): void;
}

interface Entry {
  key: KeyMatch | null;
  loadedAt: number;
}

/**
 * Changes reach it as notices: this process's at once, other nodes' through the change feed. `maxAgeMs` is asked at
 * every read, so an entry cached while the feed was healthy is not trusted past the short lifetime once it is down.
 * Misses are cached too, so a repeated unknown secret costs no more reads than a known one.
 */
export function createKeyCache(deps: { keys: KeyStore; clock: Clock; maxAgeMs: () => number; maxEntries: number }): KeyCache {
  const entries = new Map<string, Entry>();
  // Bumped on every change, so a read that started before a change never caches what it saw.
  let generation = 0;
  function forget(keyId: string | undefined) {
    generation++;
    if (keyId === undefined) entries.clear();
    else for (const [hash, entry] of entries) if (entry.key?.key.id === keyId) entries.delete(hash);
  }
  return {
    async findKeyBySecretHash(secretHash) {
      const now = deps.clock.now();
      const cached = entries.get(secretHash);
      if (cached && now - cached.loadedAt < deps.maxAgeMs()) return cached.key;
      const startedAt = generation;
      const key = await deps.keys.findKeyBySecretHash(secretHash);
      if (startedAt === generation) {
        entries.delete(secretHash);
        // Map order is insertion order: the first entry is the oldest.
        if (entries.size >= deps.maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(secretHash, { key, loadedAt: now });
      }
      return key;
    },
    hear(notice) {
      if (notice.kind === 'key') forget(notice.keyId);
      else if (notice.kind === 'everything') forget(undefined);
    },
  };
}
