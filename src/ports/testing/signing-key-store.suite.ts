// The SigningKeyStore contract: one active and one pending key per environment, racing inserts, activations and
// rotations, unpublished deletion, outages.
import { describe, expect, it } from 'vitest';
import type { Environment } from '../../shared/domain.js';
import type { SigningKeyRecord, SigningKeyStore } from '../signing-key-store.js';
import { expectUnavailable, nextId, openFixtures, type StoreFixture } from './fixtures.js';

export interface SigningKeyStoreFixture extends StoreFixture<SigningKeyStore> {
  /** Another store over the same database through a connection of its own (another process or isolate). */
  sibling?(): SigningKeyStore;
}

/**
 * An environment of its own for one test. The store treats the environment as an opaque partition, and a
 * made-up name keeps a test's keys apart from every other test's on a backend they share (D1).
 */
function freshEnvironment(): Environment {
  return nextId('env_') as Environment;
}

function signingKey(environment: Environment, createdAt: number, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = nextId('kid_');
  return {
    kid,
    environment,
    alg: 'ES256',
    publicJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', kid }),
    privateKey: `v1.iv.${kid}`,
    status: 'active',
    createdAt,
    activatesAt: null,
    retiredAt: null,
    publishUntil: null,
    ...overrides,
  };
}

/** Declares the SigningKeyStore contract against stores from `factory`, one fresh fixture per test. */
export function describeSigningKeyStoreContract(
  name: string,
  factory: () => SigningKeyStoreFixture | Promise<SigningKeyStoreFixture>,
): void {
  describe(`SigningKeyStore contract: ${name}`, () => {
    const open = openFixtures(factory);

    const active = (keys: SigningKeyRecord[]) => keys.filter((key) => key.status === 'active').map((key) => key.kid);

    /** An environment of the test's own with its first active key. */
    async function withActiveKey(fixture: SigningKeyStoreFixture) {
      const environment = freshEnvironment();
      const first = signingKey(environment, fixture.clock.now());
      expect(await fixture.store.insertActiveSigningKey(first)).toBe(true);
      return { environment, first };
    }

    it('starts an environment with no keys, and keeps environments apart', async () => {
      const { store, clock } = await open();
      const [first, second] = [freshEnvironment(), freshEnvironment()];
      expect(await store.listSigningKeys(first)).toEqual([]);
      const key = signingKey(first, clock.now());
      expect(await store.insertActiveSigningKey(key)).toBe(true);
      expect(await store.listSigningKeys(first)).toEqual([key]);
      expect(await store.listSigningKeys(second)).toEqual([]);
      // The other environment has its own active key.
      expect(await store.insertActiveSigningKey(signingKey(second, clock.now()))).toBe(true);
    });

    it('refuses a second active key while one is active, changing nothing', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const { environment, first } = await withActiveKey(fixture);
      expect(await store.insertActiveSigningKey(signingKey(environment, clock.now() + 1))).toBe(false);
      expect(await store.listSigningKeys(environment)).toEqual([first]);
    });

    it('lets exactly one of concurrent first inserts become the active key', async () => {
      const fixture = await open();
      const environment = freshEnvironment();
      const stores = fixture.sibling ? [fixture.store, fixture.sibling()] : [fixture.store];
      const candidates = Array.from({ length: 10 }, () => signingKey(environment, fixture.clock.now()));
      const results = await Promise.all(candidates.map((key, index) => stores[index % stores.length]!.insertActiveSigningKey(key)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = candidates[results.indexOf(true)]!;
      expect(await fixture.store.listSigningKeys(environment)).toEqual([winner]);
    });

    it('rotates in one step: retires the active key with its times and activates the next, listed oldest first', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const { environment, first } = await withActiveKey(fixture);
      const next = signingKey(environment, clock.now() + 10);
      const retiredAt = clock.now() + 10;
      expect(await store.rotateSigningKey(first.kid, retiredAt, retiredAt + 3_660_000, next)).toBe(true);
      expect(await store.listSigningKeys(environment)).toEqual([
        { ...first, status: 'retired', retiredAt, publishUntil: retiredAt + 3_660_000 },
        next,
      ]);
    });

    it('refuses a rotation from a kid that is no longer active, leaving the keys as they were', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const { environment, first } = await withActiveKey(fixture);
      const second = signingKey(environment, clock.now() + 10);
      expect(await store.rotateSigningKey(first.kid, clock.now() + 10, clock.now() + 100, second)).toBe(true);
      const before = await store.listSigningKeys(environment);

      // Another process rotated first: this one still holds the old kid.
      const stale = signingKey(environment, clock.now() + 20);
      expect(await store.rotateSigningKey(first.kid, clock.now() + 20, clock.now() + 200, stale)).toBe(false);
      expect(await store.listSigningKeys(environment)).toEqual(before);
      expect(active(before)).toEqual([second.kid]);
    });

    it('lets exactly one of concurrent rotations from the same active key win', async () => {
      const fixture = await open();
      const { clock } = fixture;
      const { environment, first } = await withActiveKey(fixture);
      const stores = fixture.sibling ? [fixture.store, fixture.sibling()] : [fixture.store];
      const nexts = Array.from({ length: 6 }, () => signingKey(environment, clock.now() + 10));
      const results = await Promise.all(
        nexts.map((next, index) => stores[index % stores.length]!.rotateSigningKey(first.kid, clock.now() + 10, clock.now() + 100, next)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const keys = await fixture.store.listSigningKeys(environment);
      expect(active(keys)).toEqual([nexts[results.indexOf(true)]!.kid]);
      expect(keys.map((key) => key.kid).sort()).toEqual([first.kid, nexts[results.indexOf(true)]!.kid].sort());
    });

    /** An environment with an active key and a pending one that activates a minute later. */
    async function withPendingKey(fixture: SigningKeyStoreFixture) {
      const { environment, first } = await withActiveKey(fixture);
      const pending = signingKey(environment, fixture.clock.now() + 5, { status: 'pending', activatesAt: fixture.clock.now() + 60_000 });
      expect(await fixture.store.insertPendingSigningKey(pending)).toBe(true);
      return { environment, first, pending };
    }

    it('keeps one pending key per environment beside the active one, listed with its activation time', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const { environment, first, pending } = await withPendingKey(fixture);
      const another = signingKey(environment, clock.now() + 6, { status: 'pending', activatesAt: clock.now() + 60_000 });
      expect(await store.insertPendingSigningKey(another)).toBe(false);
      expect(await store.listSigningKeys(environment)).toEqual([first, pending]);
      // Another environment has its own.
      const { environment: elsewhere } = await withActiveKey(fixture);
      const theirs = signingKey(elsewhere, clock.now(), { status: 'pending', activatesAt: clock.now() + 1 });
      expect(await store.insertPendingSigningKey(theirs)).toBe(true);
    });

    it('lets exactly one of concurrent pending inserts publish the next key', async () => {
      const fixture = await open();
      const { environment, first } = await withActiveKey(fixture);
      const stores = fixture.sibling ? [fixture.store, fixture.sibling()] : [fixture.store];
      const candidates = Array.from({ length: 8 }, () =>
        signingKey(environment, fixture.clock.now() + 1, { status: 'pending', activatesAt: fixture.clock.now() + 60_000 }),
      );
      const results = await Promise.all(candidates.map((key, index) => stores[index % stores.length]!.insertPendingSigningKey(key)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await fixture.store.listSigningKeys(environment)).toEqual([first, candidates[results.indexOf(true)]]);
    });

    it('activates the pending key in one step, retiring the active one as of its activation', async () => {
      const fixture = await open();
      const { store } = fixture;
      const { environment, first, pending } = await withPendingKey(fixture);
      const at = pending.activatesAt!;
      expect(await store.activatePendingSigningKey(pending.kid, first.kid, at, at + 3_660_000)).toBe(true);
      expect(await store.listSigningKeys(environment)).toEqual([
        { ...first, status: 'retired', retiredAt: at, publishUntil: at + 3_660_000 },
        { ...pending, status: 'active' },
      ]);
      // Done once: a second node doing it again changes nothing.
      expect(await store.activatePendingSigningKey(pending.kid, first.kid, at, at + 3_660_000)).toBe(false);
      expect(active(await store.listSigningKeys(environment))).toEqual([pending.kid]);
      // And the environment may publish its next key again.
      const next = signingKey(environment, at + 1, { status: 'pending', activatesAt: at + 120_000 });
      expect(await store.insertPendingSigningKey(next)).toBe(true);
    });

    it('lets exactly one of concurrent activations through, leaving one active key', async () => {
      const fixture = await open();
      const { environment, first, pending } = await withPendingKey(fixture);
      const stores = fixture.sibling ? [fixture.store, fixture.sibling()] : [fixture.store];
      const at = pending.activatesAt!;
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, index) => stores[index % stores.length]!.activatePendingSigningKey(pending.kid, first.kid, at, at + 1000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const keys = await fixture.store.listSigningKeys(environment);
      expect(active(keys)).toEqual([pending.kid]);
      expect(keys.find((key) => key.kid === first.kid)).toMatchObject({ status: 'retired', retiredAt: at });
    });

    it('never retires the active key for a pending key that is gone, nor activates one beside an active key', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const { environment, first } = await withActiveKey(fixture);
      expect(await store.activatePendingSigningKey('kid_never_pending', first.kid, clock.now(), clock.now() + 1)).toBe(false);
      expect(await store.listSigningKeys(environment)).toEqual([first]);
      // A stale node names a retired key as the one to retire: the pending key stays pending.
      const { environment: other, first: otherFirst, pending } = await withPendingKey(fixture);
      const replacement = signingKey(other, clock.now() + 7);
      // (The rotation drops the pending key; put one back to try the stale activation on.)
      expect(await store.rotateSigningKey(otherFirst.kid, clock.now() + 7, clock.now() + 100, replacement)).toBe(true);
      const again = signingKey(other, clock.now() + 8, { status: 'pending', activatesAt: clock.now() + 60_000 });
      expect(await store.insertPendingSigningKey(again)).toBe(true);
      expect(await store.activatePendingSigningKey(again.kid, otherFirst.kid, clock.now(), clock.now() + 1)).toBe(false);
      const keys = await store.listSigningKeys(other);
      expect(active(keys)).toEqual([replacement.kid]);
      expect(keys.find((key) => key.kid === again.kid)).toMatchObject({ status: 'pending' });
      expect(keys.find((key) => key.kid === pending.kid)).toBeUndefined();
    });

    it('drops the pending key on a rotation (a compromise), but not on a rotation that lost its race', async () => {
      const fixture = await open();
      const { store, clock } = fixture;
      const { environment, first, pending } = await withPendingKey(fixture);
      const replacement = signingKey(environment, clock.now() + 10);
      expect(await store.rotateSigningKey(first.kid, clock.now() + 10, clock.now() + 100, replacement)).toBe(true);
      const keys = await store.listSigningKeys(environment);
      expect(keys.map((key) => key.kid)).toEqual([first.kid, replacement.kid]);
      expect(keys.map((key) => key.kid)).not.toContain(pending.kid);

      const next = signingKey(environment, clock.now() + 20, { status: 'pending', activatesAt: clock.now() + 60_000 });
      expect(await store.insertPendingSigningKey(next)).toBe(true);
      // A stale rotation from the first key: refused, and the new pending key is untouched.
      expect(await store.rotateSigningKey(first.kid, clock.now() + 30, clock.now() + 300, signingKey(environment, clock.now() + 30))).toBe(false);
      expect((await store.listSigningKeys(environment)).find((key) => key.kid === next.kid)).toMatchObject({ status: 'pending' });
    });

    it('deletes retired keys once their publish-until has passed, and nothing else', async () => {
      const { store, clock } = await open();
      const environment = freshEnvironment();
      const elsewhere = freshEnvironment();
      const now = clock.now();
      // Three rotations: a, b and c retire with publish-until just before, at and just after `now`; d is active.
      const [a, b, c, d] = [0, 1, 2, 3].map((step) => signingKey(environment, now - 4000 + step * 1000));
      await store.insertActiveSigningKey(a!);
      expect(await store.rotateSigningKey(a!.kid, now - 3000, now - 1, b!)).toBe(true);
      expect(await store.rotateSigningKey(b!.kid, now - 2000, now, c!)).toBe(true);
      expect(await store.rotateSigningKey(c!.kid, now - 1000, now + 1, d!)).toBe(true);
      const [e, f] = [0, 1].map((step) => signingKey(elsewhere, now - 4000 + step * 1000));
      await store.insertActiveSigningKey(e!);
      expect(await store.rotateSigningKey(e!.kid, now - 3000, now - 1, f!)).toBe(true);

      await store.deleteUnpublishedSigningKeys(environment, now);
      expect(await store.listSigningKeys(environment)).toEqual([
        { ...c!, status: 'retired', retiredAt: now - 1000, publishUntil: now + 1 },
        d,
      ]);
      expect((await store.listSigningKeys(elsewhere)).map((key) => key.kid)).toEqual([e!.kid, f!.kid]);
    });

    it('raises StoreUnavailableError naming the store from every operation while its backend is down', async (context) => {
      const fixture = await open();
      if (!fixture.outage) return context.skip('this backend cannot be made unavailable');
      const { store, clock, outage } = fixture;
      const { environment, first } = await withActiveKey(fixture);
      await outage.begin();

      await expectUnavailable(store.listSigningKeys(environment), outage.store);
      await expectUnavailable(store.insertActiveSigningKey(signingKey(freshEnvironment(), clock.now())), outage.store);
      await expectUnavailable(store.rotateSigningKey(first.kid, clock.now(), clock.now() + 1, signingKey(environment, clock.now())), outage.store);
      const pending = signingKey(environment, clock.now(), { status: 'pending', activatesAt: clock.now() });
      await expectUnavailable(store.insertPendingSigningKey(pending), outage.store);
      await expectUnavailable(store.activatePendingSigningKey(pending.kid, first.kid, clock.now(), clock.now() + 1), outage.store);
      await expectUnavailable(store.deleteUnpublishedSigningKeys(environment, clock.now()), outage.store);
    });
  });
}
