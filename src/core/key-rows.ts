// Key rows for the token endpoint, kept in memory and checked against the application ID's mark
// (ports/key-versions.ts) at every request, so a change made through any node is honoured from the next request
// without a key-store read per token.
import type { ChangeNotice } from '../ports/change-feed.js';
import type { KeyMatch, KeyRecord, KeyStore } from '../ports/key-store.js';
import { CHANGING_MARK, type KeyVersions } from '../ports/key-versions.js';
import type { Clock, Logger } from '../ports/runtime.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import type { Environment } from '../shared/domain.js';

export interface KeyRows {
  /**
   * Starts the look-up of the key an application ID of `environment` names: the ID's mark is asked for now (with the
   * failure counters' read, once the attempt has its turn), the row when the answer is awaited. Resolves to what the
   * key store would answer.
   */
  begin(environment: Environment, applicationId: string): () => Promise<KeyMatch | null>;
  /** Applies a change notice (change-notices.ts): drops what it made stale. */
  hear(notice: ChangeNotice): void;
}

interface Entry {
  match: KeyMatch;
  /** The application ID's mark, read before the row was. */
  version: string;
  loadedAt: number;
}

/**
 * A row is kept with the mark read before it, and answers while the mark read at a request is the same: every change
 * sets "changing" marks on the key's application IDs before it is written (no row is kept under one) and new settled
 * ones after it is committed and before it is answered (markingKeyWrites), so a row read before a change is kept
 * under an older mark, if at all. A row is never kept longer than `maxAgeMs()` (a mark lost in a Redis failover costs
 * at most that), and change notices drop rows as they do the other caches. While the marks cannot be read, or the
 * store cannot (so that minting fails as it would without kept rows), every request reads the store.
 */
export function createKeyRows(deps: {
  keys: Pick<KeyStore, 'findKeyByApplicationId'>;
  versions: KeyVersions;
  clock: Clock;
  maxAgeMs: () => number;
  maxEntries: number;
  /** Whether the key store answers now (default: always): while it does not, every request reads it (and fails). */
  storeReachable?: () => boolean;
}): KeyRows {
  const storeReachable = deps.storeReachable ?? (() => true);
  const entries = new Map<string, Entry>();
  // Bumped on every notice, so a read that started before a change never keeps what it saw.
  let generation = 0;

  // The row the application ID names: the kept one while the mark read is its own, else the store's (kept when the
  // mark was settled and no notice came meanwhile).
  async function lookUp(applicationId: string, startedAt: number, marked: Promise<string | undefined>): Promise<KeyMatch | null> {
    const version = await marked;
    const now = deps.clock.now();
    const cached = entries.get(applicationId);
    if (version !== undefined && cached?.version === version && now - cached.loadedAt < deps.maxAgeMs() && storeReachable()) return cached.match;
    // The mark was read before this read starts: a change committed after it gives the ID a newer one.
    const match = await deps.keys.findKeyByApplicationId(applicationId);
    entries.delete(applicationId);
    const settled = version !== undefined && !version.startsWith(CHANGING_MARK);
    if (match && settled && startedAt === generation) {
      // Map order is insertion order: the first entry is the oldest.
      if (entries.size >= deps.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(applicationId, { match, version, loadedAt: now });
    }
    return match;
  }

  return {
    begin(environment, applicationId) {
      const startedAt = generation;
      // A mark that cannot be read is no mark: the row is read from the store, and not kept.
      const marked = deps.versions.read(environment, applicationId).catch(() => undefined);
      return () => lookUp(applicationId, startedAt, marked);
    },
    hear(notice) {
      if (notice.kind !== 'key' && notice.kind !== 'everything') return;
      generation++;
      if (notice.kind === 'everything') entries.clear();
      else for (const [applicationId, entry] of entries) if (entry.match.key.id === notice.keyId) entries.delete(applicationId);
    },
  };
}

/** The application IDs a key answers to: its current pair's, and its previous pair's during a roll. */
function applicationIdsOf(key: KeyRecord): string[] {
  return key.previous ? [key.applicationId, key.previous.applicationId] : [key.applicationId];
}

/** How often a change asks again for a key another change holds, and for how long in all before it answers 503. */
const HOLD_RETRY_MS = 10;
const HOLD_WAIT_MS = 5_000;

/**
 * `store` with every change to a key's row marked (ports/key-versions.ts) on the application IDs it answered to before
 * and after: "changing" marks before the write, so no node keeps a row read while it is under way, and settled ones
 * after it, before the change is answered, so every node's next request reads the row again. Changes to one key take
 * turns (KeyVersions.holdKey), through any nodes: otherwise an ID that one change creates while another is under way
 * (a regenerate during a delete) would be marked by neither, and one change's settled mark could overwrite another's
 * "changing" one. A node that cannot hold the key or set the first marks refuses the change (the store's outage
 * error: 503), nothing written, since it could not promise the other nodes would see it; one that cannot set the
 * second logs it, and the IDs stay marked changing (read from the store at every request) until the marks lapse.
 */
export function markingKeyWrites(store: KeyStore, versions: KeyVersions, logger: Logger): KeyStore {
  async function held<T>(keyId: string, change: () => Promise<T>): Promise<T> {
    let token = await versions.holdKey(keyId);
    for (let waited = 0; token === null; waited += HOLD_RETRY_MS) {
      if (waited >= HOLD_WAIT_MS) throw new StoreUnavailableError('redis', `another change to key ${keyId} is still under way`);
      await new Promise((resolve) => setTimeout(resolve, HOLD_RETRY_MS));
      token = await versions.holdKey(keyId);
    }
    try {
      return await change();
    } finally {
      const given = token;
      await versions.releaseKey(keyId, given).catch((error: unknown) => {
        logger.warn('could not give back a key after its change; the next change to it waits for the lease to end', { keyId, error: String(error) });
      });
    }
  }

  function marked<T>(accountId: string, keyId: string, write: () => Promise<T>, after: (result: T) => KeyRecord | null): Promise<T> {
    return held(keyId, async () => {
      const before = await store.getKey(accountId, keyId);
      if (!before) return write();
      const ids = applicationIdsOf(before);
      await versions.beginChange(before.environment, ids);
      let written: KeyRecord | null = null;
      try {
        const result = await write();
        written = after(result);
        return result;
      } finally {
        const settled = [...new Set([...ids, ...(written ? applicationIdsOf(written) : [])])];
        await versions.change(before.environment, settled).catch((error: unknown) => {
          logger.warn('could not settle the marks of a key change; its application IDs are read from the database until they lapse', {
            keyId,
            error: String(error),
          });
        });
      }
    });
  }
  const updateKey: KeyStore['updateKey'] = (accountId, keyId, changes, operation) =>
    marked(accountId, keyId, () => store.updateKey(accountId, keyId, changes, operation), (result) => (result.ok ? result.value : null));
  const deleteKey: KeyStore['deleteKey'] = (accountId, keyId, operation) =>
    marked(accountId, keyId, () => store.deleteKey(accountId, keyId, operation), () => null);
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'updateKey') return updateKey;
      if (property === 'deleteKey') return deleteKey;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
