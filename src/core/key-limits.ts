// A key's limits (SPEC §7) as the proxy needs them on every call: read from the key row through a short-lived
// in-process cache by key id, dropped when this process changes the key, kept (stale) through a key-store outage.
import type { CallLimits, RateLimit } from '../ports/key-limiter.js';
import type { KeyRecord, KeyStore } from '../ports/key-store.js';
import type { Clock, Logger } from '../ports/runtime.js';
import type { ChangeNotice } from '../ports/change-feed.js';
import { StoreUnavailableError } from '../ports/store-errors.js';

/** Every limit a key may carry: on proxied calls (`rateLimit`, `quota`) and on minting (`tokenRateLimit`). */
export interface KeyLimits extends CallLimits {
  tokenRateLimit?: RateLimit;
}

/** The limits a key row carries; none for a key without any. */
export function keyLimits(key: Pick<KeyRecord, 'rateLimit' | 'quota' | 'tokenRateLimit'>): KeyLimits {
  const { rateLimit, quota, tokenRateLimit } = key;
  return {
    ...(rateLimit && { rateLimit }),
    ...(quota && { quota }),
    ...(tokenRateLimit && { tokenRateLimit }),
  };
}

export function hasCallLimits(limits: CallLimits): boolean {
  return limits.rateLimit !== undefined || limits.quota !== undefined;
}

/** The key a session token speaks for, as far as its claims tell. */
export interface SessionKeyClaims {
  acct: string;
  client_id: string;
  /** The key id claim; tokens minted before it existed have none. */
  key?: string;
}

/** The key a proxied call is metered against. */
export interface MeteredKey {
  keyId: string;
  limits: KeyLimits;
}

export interface KeyLimitsCache {
  /**
   * The key behind a session token and its limits, at most `maxAgeMs()` old. A token without the key id claim is
   * matched by its application ID (found only until the key is regenerated). Undefined when no key of the
   * token's account is found (deleted, or regenerated away): its sessions stay valid (SPEC §3) and unlimited.
   */
  forSession(claims: SessionKeyClaims): Promise<MeteredKey | undefined>;
  /** A change notice (this node's or another's): a changed key is forgotten; `everything` empties the cache. */
  hear(notice: ChangeNotice): void;
}

interface Entry {
  key: MeteredKey | undefined;
  loadedAt: number;
}

/**
 * Changes reach it as notices (`hear`): this process's at once, other nodes' through the change feed; `maxAgeMs` is
 * asked at every read (long while the feed is healthy, at most 1 s while it is down or absent, as for the Api-Key
 * cache). While the key store cannot answer, the last limits read for a key keep applying (the proxy goes on serving stateless tokens, SPEC §6); a key not
 * read since start-up is then served without limits, and that is logged.
 */
export function createKeyLimitsCache(deps: {
  keys: KeyStore;
  clock: Clock;
  logger: Logger;
  maxAgeMs: () => number;
  maxEntries: number;
}): KeyLimitsCache {
  const entries = new Map<string, Entry>();
  // Bumped on every change, so a read that started before a change never caches what it saw.
  let generation = 0;

  async function load(claims: SessionKeyClaims): Promise<MeteredKey | undefined> {
    const found = claims.key
      ? await deps.keys.getKey(claims.acct, claims.key)
      : (await deps.keys.findKeyByApplicationId(claims.client_id))?.key;
    if (!found || found.accountId !== claims.acct) return undefined;
    return { keyId: found.id, limits: keyLimits(found) };
  }

  return {
    async forSession(claims) {
      const name = claims.key ?? `app:${claims.client_id}`;
      const now = deps.clock.now();
      const cached = entries.get(name);
      if (cached && now - cached.loadedAt < deps.maxAgeMs()) return cached.key;
      const startedAt = generation;
      let key: MeteredKey | undefined;
      try {
        key = await load(claims);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        deps.logger.warn(cached ? 'key store unavailable: applying the limits last read' : 'key store unavailable: a key not read yet is served without limits', {
          keyId: claims.key,
          error: error.message,
        });
        return cached?.key ?? (claims.key ? { keyId: claims.key, limits: {} } : undefined);
      }
      if (startedAt === generation) {
        entries.delete(name);
        // Map order is insertion order: the first entry is the oldest.
        if (entries.size >= deps.maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(name, { key, loadedAt: now });
      }
      return key;
    },
    hear(notice) {
      if (notice.kind === 'key') forgetKey(notice.keyId);
      else if (notice.kind === 'everything') {
        generation++;
        entries.clear();
      }
    },
  };

  function forgetKey(keyId: string): void {
    generation++;
    entries.delete(keyId);
    for (const [name, entry] of entries) if (entry.key?.keyId === keyId) entries.delete(name);
  }
}
