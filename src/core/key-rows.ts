// Key rows for the token endpoint, kept in memory and checked against the key's mark (ports/key-versions.ts) at every
// request, so a change made through any node is honoured from the next request without a key-store read per token.
import type { ChangeNotice } from '../ports/change-feed.js';
import type { KeyMatch, KeyStore } from '../ports/key-store.js';
import type { KeyVersions } from '../ports/key-versions.js';
import type { Clock } from '../ports/runtime.js';

export interface KeyRows {
  /**
   * Starts the look-up of the key an application ID names: the key's mark is asked for now (beside the failure
   * counters' read), the row when the answer is awaited. Resolves to what the key store would answer.
   */
  begin(applicationId: string): () => Promise<KeyMatch | null>;
  /** Applies a change notice (change-notices.ts): drops what it made stale. */
  hear(notice: ChangeNotice): void;
}

interface Entry {
  match: KeyMatch;
  /** The key's mark, read before the row was. */
  version: string;
  loadedAt: number;
}

/**
 * A row is kept with the mark read before it, and answers while the mark read at a request is the same: every change
 * replaces the mark after it is committed and before it is answered, so a row read before a change has an older mark.
 * A row is never kept longer than `maxAgeMs()` (a mark lost in a Redis failover costs at most that), and change
 * notices drop rows as they do the other caches. The first request for an application ID on a node reads the store
 * (its key id, and so its mark, is not known yet); while the marks cannot be read, every request reads the store.
 */
export function createKeyRows(deps: {
  keys: Pick<KeyStore, 'findKeyByApplicationId'>;
  versions: KeyVersions;
  clock: Clock;
  maxAgeMs: () => number;
  maxEntries: number;
}): KeyRows {
  const entries = new Map<string, Entry>();
  // An application ID names one key for as long as it exists: which one, learnt from a read, so its mark can be asked.
  const keyIds = new Map<string, string>();
  // Bumped on every notice, so a read that started before a change never keeps what it saw.
  let generation = 0;

  function remember<V>(map: Map<string, V>, key: string, value: V) {
    map.delete(key);
    // Map order is insertion order: the first entry is the oldest.
    if (map.size >= deps.maxEntries) map.delete(map.keys().next().value!);
    map.set(key, value);
  }

  return {
    begin(applicationId) {
      const keyId = keyIds.get(applicationId);
      const startedAt = generation;
      // A mark that cannot be read is no mark: the row is read from the store, and not kept.
      const marked = keyId === undefined ? undefined : deps.versions.read(keyId).catch(() => undefined);
      return async () => {
        const version = await marked;
        const now = deps.clock.now();
        const cached = entries.get(applicationId);
        if (version !== undefined && cached?.version === version && now - cached.loadedAt < deps.maxAgeMs()) return cached.match;
        // The mark was read before this read starts: a change committed after it gives the key a newer one.
        const match = await deps.keys.findKeyByApplicationId(applicationId);
        if (!match) {
          entries.delete(applicationId);
          keyIds.delete(applicationId);
          return null;
        }
        remember(keyIds, applicationId, match.key.id);
        if (version !== undefined && match.key.id === keyId && startedAt === generation) {
          remember(entries, applicationId, { match, version, loadedAt: now });
        } else {
          entries.delete(applicationId);
        }
        return match;
      };
    },
    hear(notice) {
      if (notice.kind !== 'key' && notice.kind !== 'everything') return;
      generation++;
      if (notice.kind === 'everything') entries.clear();
      else for (const [applicationId, entry] of entries) if (entry.match.key.id === notice.keyId) entries.delete(applicationId);
    },
  };
}
