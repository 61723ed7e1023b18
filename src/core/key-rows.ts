// Key rows for the token endpoint, kept in memory and checked against the key's mark (ports/key-versions.ts) at every
// request, so a change made through any node is honoured from the next request without a key-store read per token.
import type { ChangeNotice } from '../ports/change-feed.js';
import type { KeyMatch, KeyStore } from '../ports/key-store.js';
import { CHANGING_MARK, type KeyVersions } from '../ports/key-versions.js';
import type { Clock, Logger } from '../ports/runtime.js';

export interface KeyRows {
  /**
   * Starts the look-up of the key an application ID names: the key's mark is asked for now (with the failure
   * counters' read, once the attempt is admitted), the row when the answer is awaited. Resolves to what the key
   * store would answer.
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
 * sets a "changing" mark before it is written (under which no row is kept) and a new settled one after it is committed
 * and before it is answered (markingKeyWrites), so a row read before a change is kept under an older mark, if at all.
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
      return () => lookUp(applicationId, keyId, startedAt, marked);
    },
    hear(notice) {
      if (notice.kind !== 'key' && notice.kind !== 'everything') return;
      generation++;
      if (notice.kind === 'everything') entries.clear();
      else for (const [applicationId, entry] of entries) if (entry.match.key.id === notice.keyId) entries.delete(applicationId);
    },
  };

  // The row the application ID names: the kept one while the mark read is its own, else the store's (kept when the
  // mark was settled and no notice came meanwhile).
  async function lookUp(
    applicationId: string,
    keyId: string | undefined,
    startedAt: number,
    marked: Promise<string | undefined> | undefined,
  ): Promise<KeyMatch | null> {
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
    const settled = version !== undefined && !version.startsWith(CHANGING_MARK);
    if (settled && match.key.id === keyId && startedAt === generation) remember(entries, applicationId, { match, version, loadedAt: now });
    else entries.delete(applicationId);
    return match;
  }
}

/**
 * `store` with every change to a key's row marked (ports/key-versions.ts): a "changing" mark before the write, so no
 * node keeps a row read while it is under way, and a settled one after it, before the change is answered, so every
 * node's next request reads the row again. A node that cannot set the first mark refuses the change (the store's
 * outage error: 503), nothing written, since it could not promise the other nodes would see it; one that cannot set
 * the second logs it, and the key stays marked changing (read from the store at every request) until the mark lapses.
 */
export function markingKeyWrites(store: KeyStore, versions: KeyVersions, logger: Logger): KeyStore {
  async function marked<T>(keyId: string, write: () => Promise<T>): Promise<T> {
    await versions.beginChange(keyId);
    try {
      return await write();
    } finally {
      await versions.change(keyId).catch((error: unknown) => {
        logger.warn('could not settle a key change mark; the key is read from the database until it lapses', { keyId, error: String(error) });
      });
    }
  }
  const updateKey: KeyStore['updateKey'] = (accountId, keyId, changes, operation) =>
    marked(keyId, () => store.updateKey(accountId, keyId, changes, operation));
  const deleteKey: KeyStore['deleteKey'] = (accountId, keyId, operation) => marked(keyId, () => store.deleteKey(accountId, keyId, operation));
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'updateKey') return updateKey;
      if (property === 'deleteKey') return deleteKey;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
