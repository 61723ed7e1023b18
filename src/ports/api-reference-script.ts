// The API reference's browser script, as a runtime ships it: on Node, Scalar's standalone bundle; on Workers, none.

export interface ApiReferenceScript {
  /** A short content hash: it names the file, so browsers may cache it for a year. */
  version: string;
  body: Uint8Array<ArrayBuffer>;
  /** The same bytes, gzip-compressed (about a quarter of the size). */
  gzipped: Uint8Array<ArrayBuffer>;
}

/** Reads the script on first use and keeps it; rejects when the file cannot be read. */
export type ApiReferenceScriptSource = () => Promise<ApiReferenceScript>;
