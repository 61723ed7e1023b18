// Key rows for the token endpoint, kept in memory and checked against their key's mark (ports/key-versions.ts), so a
// change made through any node is honoured from the next request without a key-store read per token. The check is a
// read of the mark before the row is used, or, when the caller can make it part of its own write (the token
// endpoint's session write), that write.
import type { ChangeNotice } from '../ports/change-feed.js';
import type { KeyMatch, KeyRecord, KeyStore } from '../ports/key-store.js';
import { CHANGING_MARK, type KeyMark, type KeyVersions } from '../ports/key-versions.js';
import type { Clock, Logger } from '../ports/runtime.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import type { Environment } from '../shared/domain.js';

export interface KeyRows {
  /**
   * Starts the look-up of the key an application ID of `environment` names; resolves to what the key store would
   * answer. Given `unconfirmed`, a kept row answers without a read: `unconfirmed` is told the mark it was kept under,
   * and the caller must check that mark (a session write `whileMark`, or `confirm`) before it answers anything the
   * row decided. Otherwise the key's mark is asked for now (with the failure counters' read, once the attempt has its
   * turn), and the row when the answer is awaited.
   */
  begin(environment: Environment, applicationId: string, unconfirmed?: (mark: KeyMark) => void): () => Promise<KeyMatch | null>;
  /** Whether `mark` is still its key's mark; when it is not (or cannot be read), the key's kept rows are dropped. */
  confirm(environment: Environment, mark: KeyMark): Promise<boolean>;
  /** Applies a change notice (change-notices.ts): drops what it made stale. */
  hear(notice: ChangeNotice): void;
}

interface Entry {
  match: KeyMatch;
  /** The key's mark, read before the row was. */
  mark: string;
  loadedAt: number;
}

/**
 * A row is kept with its key's mark read before it, and answers while the mark is the same: every change sets a
 * "changing" mark on the key before it is written (no row is kept under one) and a new settled one after it is
 * committed and before it is answered (markingKeyWrites), so a row read before a change is kept under an older mark,
 * if at all. A row is never kept longer than `maxAgeMs()` (a mark lost in a Redis failover costs at most that), and
 * change notices drop rows as they do the other caches. While the marks cannot be read, or the store cannot (so that
 * minting fails as it would without kept rows), every request reads the store. The first request for an application
 * ID on a node reads the store to learn its key, then the key's mark, then the row to keep.
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

  /** The kept row of `applicationId` while it may answer at all. */
  function kept(applicationId: string): Entry | undefined {
    const entry = entries.get(applicationId);
    return entry && deps.clock.now() - entry.loadedAt < deps.maxAgeMs() && storeReachable() ? entry : undefined;
  }

  // A mark that cannot be read is no mark: the row is read from the store, and not kept.
  function markOf(environment: Environment, keyId: string): Promise<string | undefined> {
    return deps.versions.read(environment, keyId).catch(() => undefined);
  }

  // The row the application ID names: the kept one while its key's mark read now is its own, else the store's (kept
  // when the mark was settled and no notice came meanwhile). Without a kept row, the store names the key first.
  async function lookUp(
    environment: Environment,
    applicationId: string,
    startedAt: number,
    known: { keyId: string; marked: Promise<string | undefined> } | undefined,
  ): Promise<KeyMatch | null> {
    let first: KeyMatch | null | undefined;
    if (!known) {
      first = await deps.keys.findKeyByApplicationId(applicationId);
      if (!first) return null;
      known = { keyId: first.key.id, marked: markOf(environment, first.key.id) };
    }
    const mark = await known.marked;
    const cached = kept(applicationId);
    if (mark !== undefined && cached?.mark === mark) return cached.match;
    entries.delete(applicationId);
    const settled = mark !== undefined && !mark.startsWith(CHANGING_MARK);
    // Nothing is kept under a changing mark, or none: the row this request read answers.
    if (!settled && first) return first;
    // The mark was read before this read starts: a change committed after it gives the key a newer one.
    const match = await deps.keys.findKeyByApplicationId(applicationId);
    if (match && settled && match.key.id === known.keyId && startedAt === generation) {
      // Map order is insertion order: the first entry is the oldest.
      if (entries.size >= deps.maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(applicationId, { match, mark, loadedAt: deps.clock.now() });
    }
    return match;
  }

  function drop(keyId: string): void {
    for (const [applicationId, entry] of entries) if (entry.match.key.id === keyId) entries.delete(applicationId);
  }

  return {
    begin(environment, applicationId, unconfirmed) {
      const startedAt = generation;
      const cached = kept(applicationId);
      if (cached && unconfirmed) {
        return () => {
          unconfirmed({ keyId: cached.match.key.id, mark: cached.mark });
          return Promise.resolve(cached.match);
        };
      }
      // A row past its lifetime still names its key (an application ID never names another): its mark comes first.
      const keyId = entries.get(applicationId)?.match.key.id;
      const known = keyId === undefined ? undefined : { keyId, marked: markOf(environment, keyId) };
      return () => lookUp(environment, applicationId, startedAt, known);
    },
    async confirm(environment, { keyId, mark }) {
      if ((await markOf(environment, keyId)) === mark) return true;
      drop(keyId);
      return false;
    },
    hear(notice) {
      if (notice.kind !== 'key' && notice.kind !== 'everything') return;
      generation++;
      if (notice.kind === 'everything') entries.clear();
      else drop(notice.keyId);
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
 * `store` with every change to a key's row marked (ports/key-versions.ts): a "changing" mark before the write, so no
 * node keeps a row read while it is under way, and a settled one after it, before the change is answered, so every
 * node's next request reads the row again (the application IDs it answered to before and after are marked too, under
 * the former names, for nodes of the release before). Changes to one key take turns (KeyVersions.holdKey), through
 * any nodes: otherwise one change's settled mark could overwrite another's "changing" one while the other is still
 * writing, and a row read then would be kept. A node that cannot hold the key or set the first mark refuses the change
 * (the store's outage error: 503), nothing written, since it could not promise the other nodes would see it; one that
 * cannot set the second logs it, and the key stays marked changing (read from the store at every request) until the
 * mark lapses.
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
      await versions.beginChange(before.environment, keyId, ids).catch(async (error: unknown) => {
        // Some of the marks may have been set (each name is its own write): settled again, so the key is not left
        // read from the store at every request until they lapse, then the change is refused.
        await versions.change(before.environment, keyId, ids).catch(() => undefined);
        throw error;
      });
      let written: KeyRecord | null = null;
      try {
        const result = await write();
        written = after(result);
        return result;
      } finally {
        const settled = [...new Set([...ids, ...(written ? applicationIdsOf(written) : [])])];
        await versions.change(before.environment, keyId, settled).catch((error: unknown) => {
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
