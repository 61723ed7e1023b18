// The KeyVersions contract: a change gives a mark never seen before, every reader sees it, the session store of the
// same backend checks it in a session write, and outages raise.
import { describe, expect, it } from 'vitest';
import { CHANGING_MARK, StaleKeyError, type KeyVersions } from '../key-versions.js';
import { newSessionId } from '../session-ids.js';
import type { SessionRecord, SessionStore } from '../session-store.js';
import { expectUnavailable, nextId, openFixtures, type StoreFixture } from './fixtures.js';

export type KeyVersionsFixture = StoreFixture<KeyVersions> & {
  /** A second client of the same backend, as another node holds. */
  other: KeyVersions;
  /** The session store of the same backend, which checks a key's mark in a session write. */
  sessions: SessionStore;
  /** The mark an application ID has under the names the release before read (rolling upgrades), '' for none. */
  formerMark(environment: string, applicationId: string): Promise<string>;
};

/** A session record of `keyId`, as the token endpoint saves one. */
function sessionOf(keyId: string): SessionRecord {
  const iat = Math.floor(Date.now() / 1000);
  return {
    jti: newSessionId(keyId),
    applicationId: nextId('app_'),
    keyId,
    accountId: 'acct_a',
    scope: 'orders:read',
    aud: 'https://keymint.example/sandbox/api',
    iat,
    exp: iat + 600,
    revoked: false,
  };
}

/** Declares the KeyVersions contract against stores from `factory`, one fresh fixture per test. */
export function describeKeyVersionsContract(name: string, factory: () => KeyVersionsFixture | Promise<KeyVersionsFixture>): void {
  describe(`KeyVersions contract: ${name}`, () => {
    const open = openFixtures(factory);

    it('gives a key that never changed the empty mark', async () => {
      const { store } = await open();
      expect(await store.read('sandbox', nextId('key_'))).toBe('');
    });

    it('gives every change a mark not seen before, and another node reads it at once', async () => {
      const { store, other } = await open();
      const keyId = nextId('key_');
      const seen = new Set([await store.read('sandbox', keyId)]);
      for (let change = 0; change < 5; change++) {
        await store.change('sandbox', keyId, [nextId('app_')]);
        const mark = await other.read('sandbox', keyId);
        expect(seen.has(mark)).toBe(false);
        expect(await store.read('sandbox', keyId)).toBe(mark);
        seen.add(mark);
      }
    });

    it('marks a change under way apart from a settled one, and each mark is new', async () => {
      const { store, other } = await open();
      const keyId = nextId('key_');
      const ids = [nextId('app_'), nextId('app_')];
      await store.change('sandbox', keyId, ids);
      const settled = await other.read('sandbox', keyId);
      expect(settled.startsWith(CHANGING_MARK)).toBe(false);
      await store.beginChange('sandbox', keyId, ids);
      const changing = await other.read('sandbox', keyId);
      expect(changing.startsWith(CHANGING_MARK)).toBe(true);
      await store.change('sandbox', keyId, ids);
      const after = await other.read('sandbox', keyId);
      expect(after.startsWith(CHANGING_MARK)).toBe(false);
      expect(new Set([settled, changing, after]).size).toBe(3);
    });

    it('saves a session while its key has the mark named, and nothing once a change through another node moved it', async () => {
      const { store, other, sessions } = await open();
      const keyId = nextId('key_');
      // A key never changed has the empty mark, and a write under it is saved.
      const first = sessionOf(keyId);
      await sessions.saveSession('sandbox', first, undefined, { keyId, mark: '' });
      expect((await sessions.getSession('sandbox', first.jti))?.keyId).toBe(keyId);
      await store.change('sandbox', keyId, []);
      const mark = await store.read('sandbox', keyId);
      const second = sessionOf(keyId);
      await sessions.saveSession('sandbox', second, undefined, { keyId, mark });
      expect(await sessions.getSession('sandbox', second.jti)).not.toBeNull();
      // With a token kept for reuse too: saved, and found while the mark stands.
      const reused = sessionOf(keyId);
      const reusedSlot = { keyId, slot: 'app sandbox orders:read jkt' };
      const kept = { token: 'jwt.kept', jti: reused.jti, scope: reused.scope, iat: reused.iat, exp: reused.exp };
      await sessions.saveSession('sandbox', reused, { slot: reusedSlot, token: kept, reuseUntil: reused.iat + 300 }, { keyId, mark });
      expect(await sessions.findIssued('sandbox', reusedSlot, { keyId, mark })).toEqual(kept);
      await other.beginChange('sandbox', keyId, []);
      await expect(sessions.findIssued('sandbox', reusedSlot, { keyId, mark })).rejects.toBeInstanceOf(StaleKeyError);
      const during = sessionOf(keyId);
      await expect(sessions.saveSession('sandbox', during, undefined, { keyId, mark })).rejects.toBeInstanceOf(StaleKeyError);
      await other.change('sandbox', keyId, []);
      const after = sessionOf(keyId);
      const slot = { keyId, slot: 'app sandbox orders:read -' };
      const issued = { slot, token: { token: 'jwt', jti: after.jti, scope: after.scope, iat: after.iat, exp: after.exp }, reuseUntil: after.iat + 300 };
      await expect(sessions.saveSession('sandbox', after, issued, { keyId, mark })).rejects.toBeInstanceOf(StaleKeyError);
      expect(await sessions.getSession('sandbox', during.jti)).toBeNull();
      expect(await sessions.getSession('sandbox', after.jti)).toBeNull();
      expect(await sessions.findIssued('sandbox', slot)).toBeNull();
      // Another key's change moves nothing of this one's, and another environment has marks of its own.
      await other.change('sandbox', nextId('key_'), []);
      const now = await store.read('sandbox', keyId);
      await sessions.saveSession('sandbox', sessionOf(keyId), undefined, { keyId, mark: now });
      await expect(sessions.saveSession('production', sessionOf(keyId), undefined, { keyId, mark: now })).rejects.toBeInstanceOf(StaleKeyError);
    });

    it('marks the application IDs a change names under the former names too, as the release before reads them', async () => {
      const { store, other, formerMark } = await open();
      const keyId = nextId('key_');
      const [before, after] = [nextId('app_'), nextId('app_')];
      await store.beginChange('sandbox', keyId, [before]);
      const changing = await formerMark('sandbox', before);
      expect(changing.startsWith(CHANGING_MARK)).toBe(true);
      await other.change('sandbox', keyId, [before, after]);
      const settled = [await formerMark('sandbox', before), await formerMark('sandbox', after)];
      for (const mark of settled) expect(mark === '' || mark.startsWith(CHANGING_MARK)).toBe(false);
      expect(settled[0]).not.toBe(changing);
      expect(await formerMark('production', before)).toBe('');
    });

    it('lets one change at a time hold a key, across nodes, until it gives it back', async () => {
      const { store, other } = await open();
      const keyId = nextId('key_');
      const held = await Promise.all([store.holdKey(keyId), other.holdKey(keyId), store.holdKey(keyId), other.holdKey(keyId)]);
      expect(held.filter((token) => token !== null)).toHaveLength(1);
      const token = held.find((given) => given !== null)!;
      // Another key is free.
      expect(await other.holdKey(nextId('key_'))).not.toBeNull();
      // A token that does not hold it gives nothing back.
      await other.releaseKey(keyId, 'not-the-token');
      expect(await other.holdKey(keyId)).toBeNull();
      await other.releaseKey(keyId, token);
      expect(await other.holdKey(keyId)).not.toBeNull();
    });

    it('keeps keys and environments apart', async () => {
      const { store } = await open();
      const [a, b] = [nextId('key_'), nextId('key_')];
      await store.change('sandbox', a, [nextId('app_')]);
      expect(await store.read('sandbox', a)).not.toBe('');
      expect(await store.read('sandbox', b)).toBe('');
      expect(await store.read('production', a)).toBe('');
    });

    it('raises the outage error when its backend is down', async ({ skip }) => {
      const fixture = await open();
      if (!fixture.outage) return skip('this backend cannot be down');
      await fixture.outage.begin();
      await expectUnavailable(fixture.store.read('sandbox', nextId('key_')), fixture.outage.store);
      await expectUnavailable(fixture.store.beginChange('sandbox', nextId('key_'), [nextId('app_')]), fixture.outage.store);
      await expectUnavailable(fixture.store.change('sandbox', nextId('key_'), [nextId('app_')]), fixture.outage.store);
      await expectUnavailable(fixture.store.holdKey(nextId('key_')), fixture.outage.store);
    });
  });
}
