// ConsoleSessionStore: signed-in web-console sessions, kept server-side under a keyed hash of the id the cookie holds.
import type { AdminRole } from './key-store.js';

/** Who signed in (the same shape as the admin API's actor). */
export type ConsoleActor = { kind: 'root' } | { kind: 'account-admin'; tokenId: string; accountId: string; role: AdminRole };

export interface ConsoleSessionRecord {
  actor: ConsoleActor;
  /**
   * The keyed hash (HMAC-SHA-256 with the pepper) of the admin token that signed in, as `admin_tokens.token_hash`
   * holds it: every request checks it still authenticates, so a token that stops working ends its sessions.
   * Never the token itself.
   */
  credential: string;
  /** The session's CSRF token, put in every form the console renders for it. */
  csrf: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** The absolute end of the session; the store may forget the record from then on. */
  expiresAt: number;
  /** The last request seen (updated at most once a minute), for the idle timeout. */
  lastSeenAt: number;
}

export interface ConsoleSessionStore {
  /** Stores a new session under `idHash`, until `record.expiresAt`. */
  create(idHash: string, record: ConsoleSessionRecord): Promise<void>;
  get(idHash: string): Promise<ConsoleSessionRecord | null>;
  /** Records activity; a session deleted meanwhile (signed out in another tab) stays deleted. */
  touch(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  delete(idHash: string): Promise<void>;
}
