import { describe, expect, it } from 'vitest';
import { StaleKeyError, type KeyMark } from '../ports/key-versions.js';
import { newSessionId } from '../ports/session-ids.js';
import type { SessionStore } from '../ports/session-store.js';
import { sampleKeyRecord } from '../ports/testing/fixtures.js';
import type { SessionTokens } from './session-tokens.js';
import { createSessions } from './sessions.js';

const key = sampleKeyRecord();

/** Sessions over a session store whose every mark-checked read and write finds the key changed. */
function staleWorld(issuanceCache: boolean) {
  const used: string[] = [];
  const marks: (KeyMark | undefined)[] = [];
  const now = 1_800_000_000;
  const tokens = {
    audience: () => 'https://keymint.test/sandbox/api',
    lifetime: () => 3600,
    async mint() {
      return { token: 'jwt', claims: { jti: newSessionId(key.id), aud: 'https://keymint.test/sandbox/api', iat: now, exp: now + 3600 } };
    },
  } as unknown as SessionTokens;
  const stale = async (mark: KeyMark | undefined) => {
    marks.push(mark);
    if (mark) throw new StaleKeyError(mark.keyId);
  };
  const store = {
    async findIssued(_environment: string, _slot: unknown, whileMark?: KeyMark) {
      await stale(whileMark);
      return null;
    },
    async saveSession(_environment: string, _record: unknown, _issued: unknown, whileMark?: KeyMark) {
      await stale(whileMark);
    },
  } as unknown as SessionStore;
  const sessions = createSessions({
    tokens,
    store,
    clock: { now: () => now * 1000 },
    usage: { recordUse: (keyId) => used.push(keyId), recordAdminTokenUse: () => undefined },
    issuanceCache,
  });
  return { sessions, used, marks };
}

describe('sessions issued from a kept key row', () => {
  for (const issuanceCache of [false, true]) {
    it(`hand the row's mark to the store, and record no use when the key changed (issuance cache ${issuanceCache ? 'on' : 'off'})`, async () => {
      const w = staleWorld(issuanceCache);
      const whileMark = { keyId: key.id, mark: 'm1' };
      await expect(w.sessions.issue('sandbox', key, undefined, { whileMark })).rejects.toBeInstanceOf(StaleKeyError);
      expect(w.marks).toEqual([whileMark]);
      expect(w.used).toEqual([]);
      // Without a mark to check, the same store saves, and the use is recorded.
      expect((await w.sessions.issue('sandbox', key, undefined)).ok).toBe(true);
      expect(w.used).toEqual([key.id]);
    });
  }
});
