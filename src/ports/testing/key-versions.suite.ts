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

    it('gives a key that never changed the empty mark', async () => {
      const { store } = await open();
      expect(await store.read(nextId('key_'))).toBe('');
    });

    it('gives every change a mark not seen before, and another node reads it at once', async () => {
      const { store, other } = await open();
      const keyId = nextId('key_');
      const seen = new Set([await store.read(keyId)]);
      for (let change = 0; change < 5; change++) {
        await store.change(keyId);
        const mark = await other.read(keyId);
        expect(seen.has(mark)).toBe(false);
        expect(await store.read(keyId)).toBe(mark);
        seen.add(mark);
      }
    });

    it('marks a change under way apart from a settled one, and both are new', async () => {
      const { store, other } = await open();
      const keyId = nextId('key_');
      await store.change(keyId);
      const settled = await other.read(keyId);
      expect(settled.startsWith(CHANGING_MARK)).toBe(false);
      await store.beginChange(keyId);
      const changing = await other.read(keyId);
      expect(changing.startsWith(CHANGING_MARK)).toBe(true);
      await store.change(keyId);
      const after = await other.read(keyId);
      expect(after.startsWith(CHANGING_MARK)).toBe(false);
      expect(new Set([settled, changing, after]).size).toBe(3);
    });

    it('keeps keys apart', async () => {
      const { store } = await open();
      const [a, b] = [nextId('key_'), nextId('key_')];
      await store.change(a);
      expect(await store.read(a)).not.toBe('');
      expect(await store.read(b)).toBe('');
    });

    it('raises the outage error when its backend is down', async ({ skip }) => {
      const fixture = await open();
      if (!fixture.outage) return skip('this backend cannot be down');
      await fixture.outage.begin();
      await expectUnavailable(fixture.store.read(nextId('key_')), fixture.outage.store);
      await expectUnavailable(fixture.store.beginChange(nextId('key_')), fixture.outage.store);
      await expectUnavailable(fixture.store.change(nextId('key_')), fixture.outage.store);
    });
  });
}
