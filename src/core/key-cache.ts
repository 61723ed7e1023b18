// A short-lived in-process cache of key look-ups by secret hash, for `Api-Key` calls on the proxy.
import type { KeyMatch, KeyStore } from '../ports/key-store.js';
import type { Clock } from '../ports/runtime.js';

export interface KeyCache {
  /** The key whose current or previous secret has this HMAC (null when none), at most `ttlMs` old. */
  findKeyBySecretHash(secretHash: string): Promise<KeyMatch | null>;
  /** Drops what is cached for the key: this process changed it. */
  forgetKey(keyId: string): void;
}

interface Entry {
  key: KeyMatch | null;
  until: number;
}

/**
 * Other processes' changes show after at most `ttlMs`; this process's at once (see `watchKeyChanges`).
 * Misses are cached too, so a repeated unknown secret costs no more reads than a known one.
 */
export function createKeyCache(deps: { keys: KeyStore; clock: Clock; ttlMs: number; maxEntries: number }): KeyCache {
  const entries = new Map<string, Entry>();
  // Bumped on every change, so a read that started before a change never caches what it saw.
  let generation = 0;
  return {
    async findKeyBySecretHash(secretHash) {
      const now = deps.clock.now();
      const cached = entries.get(secretHash);
      if (cached && cached.until > now) return cached.key;
      const startedAt = generation;
      const key = await deps.keys.findKeyBySecretHash(secretHash);
      if (startedAt === generation) {
        entries.delete(secretHash);
        // Map order is insertion order: the first entry is the oldest.
        if (entries.size >= deps.maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(secretHash, { key, until: now + deps.ttlMs });
      }
      return key;
    },
    forgetKey(keyId) {
      generation++;
      for (const [hash, entry] of entries) if (entry.key?.key.id === keyId) entries.delete(hash);
    },
  };
}

/** The same store, calling `onChange(keyId)` after every write to a key (update, regenerate, disable, delete). */
export function watchKeyChanges(store: KeyStore, onChange: (keyId: string) => void): KeyStore {
  const watched: Pick<KeyStore, 'updateKey' | 'deleteKey'> = {
    async updateKey(accountId, keyId, changes, operation) {
      try {
        return await store.updateKey(accountId, keyId, changes, operation);
      } finally {
        onChange(keyId);
      }
    },
    async deleteKey(accountId, keyId, operation) {
      try {
        return await store.deleteKey(accountId, keyId, operation);
      } finally {
        onChange(keyId);
      }
    },
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'updateKey' || property === 'deleteKey') return watched[property];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
