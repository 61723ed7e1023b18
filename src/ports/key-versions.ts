// KeyVersions: a mark per key, replaced after every change to the key's row and before the change is answered, shared
// by every node (Redis). A node that read a key row after reading its mark may answer the token endpoint from that row
// for as long as the mark is unchanged, and still honours a change made through any node from the next request
// (SPEC §6) without reading the key store each time.

/** How long a mark is kept after its change; a node keeps a key row far shorter than this (core/key-rows.ts). */
export const KEY_VERSION_TTL_SECONDS = 86_400;

export interface KeyVersions {
  /** The key's mark now: `''` when it has none (never changed, or the mark lapsed). Raises the store's outage error. */
  read(keyId: string): Promise<string>;
  /** Replaces the key's mark with one never used before. Raises the store's outage error. */
  change(keyId: string): Promise<void>;
}
