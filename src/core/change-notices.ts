// Change notices: a node applies its own changes to its caches at once and tells the others through the change feed;
// theirs arrive the same way. Also what the caches may trust: long-lived answers only while the feed is healthy.
import type { Change, ChangeFeed, ChangeListener, ChangeNotice } from '../ports/change-feed.js';
import type { KeyStore } from '../ports/key-store.js';
import type { Logger } from '../ports/runtime.js';
import type { SessionStore } from '../ports/session-store.js';

export type { Change, ChangeNotice } from '../ports/change-feed.js';

/** While the feed is down a cache keeps an answer at most this long (SPEC §6: never more than 1 s stale). */
export const UNTRUSTED_CACHE_MS = 1000;

export interface ChangeNotices {
  /** Applies `change` to this node's caches now, then tells the other nodes (resolves once it is sent, or queued). */
  announce(change: Change): Promise<void>;
  /** Hears this node's changes and the other nodes' alike, and `everything` when changes may have been missed. */
  listen(listener: ChangeListener): void;
  /**
   * How long a cache may keep an answer, asked at every read: `whileHealthy` while other nodes' changes reach this
   * one, at most UNTRUSTED_CACHE_MS while they may not, `withoutFeed` when there is no feed (one process alone).
   */
  cacheLifetime(lifetimes: { whileHealthy: number; withoutFeed: number }): () => number;
}

/** Notices over `feed` (Redis pub/sub between nodes), or among this process's caches only when there is none. */
export function createChangeNotices(deps: { feed?: ChangeFeed; logger: Logger }): ChangeNotices {
  const { feed } = deps;
  const listeners: ChangeListener[] = [];
  function tell(notice: ChangeNotice) {
    for (const listener of listeners) {
      try {
        listener(notice);
      } catch (error) {
        deps.logger.error('a cache failed to apply a change', { kind: notice.kind, error: String(error) });
      }
    }
  }
  feed?.subscribe(tell);
  return {
    async announce(change) {
      tell(change);
      await feed?.publish(change);
    },
    listen(listener) {
      listeners.push(listener);
    },
    cacheLifetime({ whileHealthy, withoutFeed }) {
      if (!feed) return () => withoutFeed;
      return () => (feed.healthy() ? whileHealthy : Math.min(whileHealthy, UNTRUSTED_CACHE_MS));
    },
  };
}

/**
 * The same key store, announcing a `key` change after every write to a key (PATCH, regenerate, disable, enable,
 * delete) and an `admin-token` change after an admin token is deleted, whether the write went through or not: a
 * failed write changed nothing, and a notice too many only costs a read.
 */
export function announceKeyChanges(store: KeyStore, notices: Pick<ChangeNotices, 'announce'>): KeyStore {
  return announcing(store, {
    updateKey: ([, keyId]) => ({ kind: 'key', keyId: keyId as string }),
    deleteKey: ([, keyId]) => ({ kind: 'key', keyId: keyId as string }),
    deleteAdminToken: ([, tokenId]) => ({ kind: 'admin-token', tokenId: tokenId as string }),
  }, notices);
}

/** The same session store, announcing `key-sessions` after a key's sessions are revoked. */
export function announceSessionChanges(store: SessionStore, notices: Pick<ChangeNotices, 'announce'>): SessionStore {
  return announcing(store, {
    revokeKeySessions: ([, keyId]) => ({ kind: 'key-sessions', keyId: keyId as string }),
  }, notices);
}

/** `target` with the methods named in `changes` announcing what they changed once they settle. */
function announcing<T extends object>(
  target: T,
  changes: Partial<Record<keyof T, (args: unknown[]) => Change>>,
  notices: Pick<ChangeNotices, 'announce'>,
): T {
  // Bound once per method: the other methods are on the hot path (a key look-up per token request).
  const methods = new Map<PropertyKey, unknown>();
  function method(property: PropertyKey, value: (...args: unknown[]) => Promise<unknown>) {
    const changeOf = changes[property as keyof T];
    if (!changeOf) return value.bind(target);
    return async (...args: unknown[]) => {
      try {
        return await value.apply(target, args);
      } finally {
        await notices.announce(changeOf(args));
      }
    };
  }
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let bound = methods.get(property);
      if (bound === undefined) methods.set(property, (bound = method(property, value as (...args: unknown[]) => Promise<unknown>)));
      return bound;
    },
  });
}
