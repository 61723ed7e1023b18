// KeyVersions: a mark per key, shared by every node (Redis). Before a change to a key's row, its mark is set to one
// that says a change is under way; after it, to a new settled one. A node that read a key row after reading a settled
// mark may answer the token endpoint from that row for as long as the mark is unchanged, and still honours a change
// made through any node from the next request (SPEC §6) without reading the key store each time. The session store
// of the same Redis checks the mark in the write that saves a token's session (SessionStore.saveSession's `whileMark`),
// so a token minted from a kept row costs one Redis command, and is never answered once its key has changed.

/** How long a mark is kept after it was set; a node keeps a key row far shorter than this (core/key-rows.ts). */
export const KEY_VERSION_TTL_SECONDS = 86_400;

/** How a mark set by `beginChange` starts: no row is kept under it. */
export const CHANGING_MARK = '~';

/** How long a change may hold its key before another may go ahead anyway (a node that died holding it). */
export const KEY_CHANGE_LEASE_MS = 30_000;

/** A key's mark as a kept row was read under, for a write that must not happen once the mark moved on. */
export interface KeyMark {
  keyId: string;
  /** The mark the row was kept under (never a changing one). */
  mark: string;
}

/**
 * Raised by a session write conditioned on a key's mark (`whileMark`) when the mark is no longer that one: the key
 * changed since its row was read, and nothing was written. The token endpoint reads the row again and mints anew.
 */
export class StaleKeyError extends Error {
  override name = 'StaleKeyError';

  constructor(readonly keyId: string) {
    super(`key ${keyId} changed since its row was read`);
  }
}

export interface KeyVersions {
  /**
   * Takes the key for one change, so changes to one key through any nodes never overlap: the token to give back, or
   * null while another change holds it (for at most KEY_CHANGE_LEASE_MS). Raises the store's outage error.
   */
  holdKey(keyId: string): Promise<string | null>;
  /** Gives the key back, if `token` still holds it. Raises the store's outage error. */
  releaseKey(keyId: string, token: string): Promise<void>;
  /** The key's mark now: `''` when it has none (never changed, or lapsed). Raises the store's outage error. */
  read(environment: string, keyId: string): Promise<string>;
  /**
   * Sets a mark never used before, starting with CHANGING_MARK: a change is under way. `applicationIds` (the IDs
   * the key answers to, before and after the change) are marked too, under the names the release before keyed its
   * marks by, for its nodes during a rolling upgrade (docs/scaling.md). Raises the store's outage error.
   */
  beginChange(environment: string, keyId: string, applicationIds: readonly string[]): Promise<void>;
  /** Sets a settled mark never used before, and the application IDs' as beginChange does: the change is done. */
  change(environment: string, keyId: string, applicationIds: readonly string[]): Promise<void>;
}

/** For a session store that keeps no key marks: a write conditioned on one is a wiring fault, never ignored. */
export function refuseKeyMark(whileMark: KeyMark | undefined, store: string): void {
  if (whileMark) throw new TypeError(`${store} keeps no key marks, so it cannot check key ${whileMark.keyId}'s`);
}
