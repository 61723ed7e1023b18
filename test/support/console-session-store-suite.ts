// The one suite every ConsoleSessionStore passes (process memory, Redis, Workers KV): what the console relies on.
import { describe, expect, it } from 'vitest';
import type { ConsoleSessionRecord, ConsoleSessionStore } from '../../src/ports/console-session-store.js';

export interface MovableClock {
  now(): number;
  advance(milliseconds: number): void;
}

export function movableClock(start = Date.now()): MovableClock {
  let now = start;
  return { now: () => now, advance: (milliseconds) => void (now += milliseconds) };
}

export interface StoreUnderTest {
  store: ConsoleSessionStore;
  clock: MovableClock;
}

const HOUR = 60 * 60 * 1000;

export function sessionRecord(clock: MovableClock, overrides: Partial<ConsoleSessionRecord> = {}): ConsoleSessionRecord {
  const now = clock.now();
  return {
    actor: { kind: 'account-admin', tokenId: 'adm_0000000000000000000001', accountId: 'acct_0000000000000000000001', role: 'manager' },
    credential: 'credential-hash-of-the-admin-token-base64url',
    csrf: 'C5rfTokenC5rfTokenC5rfTokenC5rf1',
    createdAt: now,
    expiresAt: now + 12 * HOUR,
    lastSeenAt: now,
    ...overrides,
  };
}

let counter = 0;
/** A distinct key per test, as a keyed hash of a session id would be. */
const freshKey = () => `idhash${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2)}`;

export function describeConsoleSessionStore(name: string, open: () => StoreUnderTest): void {
  describe(`${name} as a ConsoleSessionStore`, () => {
    it('returns what was created, and nothing for a key never created', async () => {
      const { store, clock } = open();
      const key = freshKey();
      const record = sessionRecord(clock);
      await store.create(key, record);
      expect(await store.get(key)).toEqual(record);
      expect(await store.get(freshKey())).toBeNull();
    });

    it('forgets a deleted session, and deleting twice is harmless', async () => {
      const { store, clock } = open();
      const key = freshKey();
      await store.create(key, sessionRecord(clock));
      await store.delete(key);
      expect(await store.get(key)).toBeNull();
      await store.delete(key);
    });

    it('records activity, and never brings back a session deleted before the touch', async () => {
      const { store, clock } = open();
      const key = freshKey();
      const record = sessionRecord(clock);
      await store.create(key, record);
      clock.advance(5 * 60 * 1000);
      await store.touch(key, clock.now(), record.expiresAt);
      expect(await store.get(key)).toEqual({ ...record, lastSeenAt: clock.now() });

      await store.delete(key);
      await store.touch(key, clock.now() + 1000, record.expiresAt);
      expect(await store.get(key)).toBeNull();
    });

    it('keeps sessions apart', async () => {
      const { store, clock } = open();
      const [first, second] = [freshKey(), freshKey()];
      await store.create(first, sessionRecord(clock, { csrf: 'first'.padEnd(32, 'x') }));
      await store.create(second, sessionRecord(clock, { csrf: 'second'.padEnd(32, 'x'), actor: { kind: 'root' } }));
      await store.delete(first);
      expect(await store.get(first)).toBeNull();
      expect(await store.get(second)).toMatchObject({ csrf: 'second'.padEnd(32, 'x'), actor: { kind: 'root' } });
    });

    it('returns nothing once the session has passed its end by the injected clock', async () => {
      const { store, clock } = open();
      const key = freshKey();
      await store.create(key, sessionRecord(clock, { expiresAt: clock.now() + 2 * HOUR }));
      clock.advance(2 * HOUR - 1);
      expect(await store.get(key)).not.toBeNull();
      clock.advance(1);
      expect(await store.get(key)).toBeNull();

      const born = freshKey();
      await store.create(born, sessionRecord(clock, { expiresAt: clock.now() - 1 }));
      expect(await store.get(born)).toBeNull();
    });
  });
}
