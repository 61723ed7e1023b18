// KeyVersions: a mark per application ID, shared by every node (Redis). Before a change to a key's row, the marks of
// its application IDs are set to ones that say a change is under way; after it, to new settled ones. A node that read
// a key row after reading a settled mark may answer the token endpoint from that row for as long as the mark is
// unchanged, and still honours a change made through any node from the next request (SPEC §6) without reading the
// key store each time.

/** How long a mark is kept after it was set; a node keeps a key row far shorter than this (core/key-rows.ts). */
export const KEY_VERSION_TTL_SECONDS = 86_400;

/** How a mark set by `beginChange` starts: no row is kept under it. */
export const CHANGING_MARK = '~';

/** How long a change may hold its key before another may go ahead anyway (a node that died holding it). */
export const KEY_CHANGE_LEASE_MS = 30_000;

export interface KeyVersions {
  /**
   * Takes the key for one change, so changes to one key through any nodes never overlap: the token to give back, or
   * null while another change holds it (for at most KEY_CHANGE_LEASE_MS). Raises the store's outage error.
   */
  holdKey(keyId: string): Promise<string | null>;
  /** Gives the key back, if `token` still holds it. Raises the store's outage error. */
  releaseKey(keyId: string, token: string): Promise<void>;
  /** The application ID's mark now: `''` when it has none (never changed, or lapsed). Raises the store's outage error. */
  read(environment: string, applicationId: string): Promise<string>;
  /** Sets marks never used before, starting with CHANGING_MARK: a change is under way. Raises the outage error. */
  beginChange(environment: string, applicationIds: readonly string[]): Promise<void>;
  /** Sets settled marks never used before: the change is done. Raises the store's outage error. */
  change(environment: string, applicationIds: readonly string[]): Promise<void>;
}
