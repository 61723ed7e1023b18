// Web-console sessions: a random id in the cookie; the actor, the admin token's keyed hash and the CSRF token
// server-side under a keyed hash of that id, with an absolute and an idle deadline checked on every request.
import type { ConsoleActor, ConsoleSessionStore } from '../ports/console-session-store.js';
import type { Clock } from '../ports/runtime.js';
import type { Actor, AdminAccess, AdminIdentity } from './admin-access.js';
import { randomBase62 } from '../shared/encoding.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { SecretHasher } from './secrets.js';

/** 43 base62 characters: 256 bits. */
const ID_LENGTH = 43;
const ID_SHAPE = /^[0-9A-Za-z]{43}$/;
const CSRF_LENGTH = 32;

export const CONSOLE_SESSION_LIMITS = {
  /** A signed-in session lasts a working day at most, however busy. */
  lifetimeMs: 12 * 60 * 60 * 1000,
  /** …and ends after an hour without a request. */
  idleMs: 60 * 60 * 1000,
  /** Activity is written at most this often (every request would be a store write otherwise). */
  touchEveryMs: 60 * 1000,
} as const;

export interface ConsoleSession {
  actor: Actor;
  csrf: string;
  expiresAt: number;
}

/** `unknown`: no such session (never was, or signed out); `expired`: past either deadline; `ended`: its admin token no longer authenticates. */
export type ConsoleSessionFailure = 'unknown' | 'expired' | 'ended';

export interface ConsoleSessions {
  /** A new session for an admin token that just authenticated; `id` goes into the cookie and nowhere else. */
  start(identity: AdminIdentity): Promise<{ id: string; session: ConsoleSession }>;
  resume(id: string): Promise<Result<ConsoleSession, ConsoleSessionFailure>>;
  end(id: string): Promise<void>;
}

export function isConsoleSessionId(value: string): boolean {
  return ID_SHAPE.test(value);
}

function sameActor(stored: ConsoleActor, current: Actor): boolean {
  if (stored.kind === 'root' || current.kind === 'root') return stored.kind === current.kind;
  return stored.tokenId === current.tokenId && stored.accountId === current.accountId;
}

export function createConsoleSessions(deps: {
  store: ConsoleSessionStore;
  hasher: SecretHasher;
  access: AdminAccess;
  clock: Clock;
  limits?: typeof CONSOLE_SESSION_LIMITS;
}): ConsoleSessions {
  const { store, hasher, access, clock } = deps;
  const limits = deps.limits ?? CONSOLE_SESSION_LIMITS;
  // Under its own label, so the key of a session can never equal the hash of a token or secret.
  const keyOf = (id: string) => hasher.hash(`console-session:${id}`);

  return {
    async start({ actor, credential }) {
      const id = randomBase62(ID_LENGTH);
      const now = clock.now();
      const record = { actor, credential, csrf: randomBase62(CSRF_LENGTH), createdAt: now, expiresAt: now + limits.lifetimeMs, lastSeenAt: now };
      await store.create(await keyOf(id), record);
      return { id, session: { actor, csrf: record.csrf, expiresAt: record.expiresAt } };
    },

    async resume(id) {
      if (!isConsoleSessionId(id)) return fail('unknown');
      const key = await keyOf(id);
      const record = await store.get(key);
      if (!record) return fail('unknown');
      const now = clock.now();
      if (now >= record.expiresAt || now - record.lastSeenAt >= limits.idleMs) {
        await store.delete(key);
        return fail('expired');
      }
      const actor = await access.reauthenticate(record.credential);
      if (!actor.ok || !sameActor(record.actor, actor.value)) {
        await store.delete(key);
        return fail('ended');
      }
      if (now - record.lastSeenAt >= limits.touchEveryMs) await store.touch(key, now, record.expiresAt);
      // The actor as the token stands now (its role may have changed since sign-in).
      return ok({ actor: actor.value, csrf: record.csrf, expiresAt: record.expiresAt });
    },

    async end(id) {
      if (isConsoleSessionId(id)) await store.delete(await keyOf(id));
    },
  };
}
