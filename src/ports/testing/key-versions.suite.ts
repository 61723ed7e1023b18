// The KeyVersions contract: a change gives a mark never seen before, every reader sees it, and outages raise.
import { describe, expect, it } from 'vitest';
import { CHANGING_MARK, type KeyVersions } from '../key-versions.js';
import { expectUnavailable, nextId, openFixtures, type StoreFixture } from './fixtures.js';

export type KeyVersionsFixture = StoreFixture<KeyVersions> & {
  /** A second client of the same backend, as another node holds. */
  other: KeyVersions;
};

/** Declares the KeyVersions contract against stores from `factory`, one fresh fixture per test. */
export function describeKeyVersionsContract(name: string, factory: () => KeyVersionsFixture | Promise<KeyVersionsFixture>): void {
  describe(`KeyVersions contract: ${name}`, () => {
    const open = openFixtures(factory);

    it('gives an application ID that never changed the empty mark', async () => {
      const { store } = await open();
      expect(await store.read('sandbox', nextId('app_'))).toBe('');
    });

    it('gives every change a mark not seen before, and another node reads it at once', async () => {
      const { store, other } = await open();
      const id = nextId('app_');
      const seen = new Set([await store.read('sandbox', id)]);
      for (let change = 0; change < 5; change++) {
        await store.change('sandbox', [id]);
        const mark = await other.read('sandbox', id);
        expect(seen.has(mark)).toBe(false);
        expect(await store.read('sandbox', id)).toBe(mark);
        seen.add(mark);
      }
    });

    it('marks a change under way apart from a settled one, every ID named at once, and each mark is new', async () => {
      const { store, other } = await open();
      const ids = [nextId('app_'), nextId('app_')];
      await store.change('sandbox', ids);
      const settled = await Promise.all(ids.map((id) => other.read('sandbox', id)));
      for (const mark of settled) expect(mark.startsWith(CHANGING_MARK)).toBe(false);
      await store.beginChange('sandbox', ids);
      const changing = await Promise.all(ids.map((id) => other.read('sandbox', id)));
      for (const mark of changing) expect(mark.startsWith(CHANGING_MARK)).toBe(true);
      await store.change('sandbox', ids);
      const after = await Promise.all(ids.map((id) => other.read('sandbox', id)));
      for (const mark of after) expect(mark.startsWith(CHANGING_MARK)).toBe(false);
      expect(new Set([...settled, ...changing, ...after]).size).toBe(6);
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

    it('keeps application IDs and environments apart', async () => {
      const { store } = await open();
      const [a, b] = [nextId('app_'), nextId('app_')];
      await store.change('sandbox', [a]);
      expect(await store.read('sandbox', a)).not.toBe('');
      expect(await store.read('sandbox', b)).toBe('');
      expect(await store.read('production', a)).toBe('');
    });

    it('raises the outage error when its backend is down', async ({ skip }) => {
      const fixture = await open();
      if (!fixture.outage) return skip('this backend cannot be down');
      await fixture.outage.begin();
      await expectUnavailable(fixture.store.read('sandbox', nextId('app_')), fixture.outage.store);
      await expectUnavailable(fixture.store.beginChange('sandbox', [nextId('app_')]), fixture.outage.store);
      await expectUnavailable(fixture.store.change('sandbox', [nextId('app_')]), fixture.outage.store);
      await expectUnavailable(fixture.store.holdKey(nextId('key_')), fixture.outage.store);
    });
  });
}
