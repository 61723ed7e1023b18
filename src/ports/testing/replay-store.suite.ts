// The ReplayStore contract: an identifier is new once per environment until its deadline, atomically, and outages raise.
import { describe, expect, it } from 'vitest';
import type { ReplayStore } from '../replay-store.js';
import { advancePast, expectUnavailable, nextId, openFixtures, type StoreFixture } from './fixtures.js';

export type ReplayStoreFixture = StoreFixture<ReplayStore>;

/** Where a backend cannot keep part of the contract, it says so here, by name; the suite checks the weaker promise. */
export interface ReplayStoreCapabilities {
  /**
   * Concurrent calls with one identifier answer true exactly once (one conditional write). Workers KV:
   * false — a read then a write, so calls at the same moment may each see the identifier as new.
   */
  atomic?: boolean;
}

/** Declares the ReplayStore contract against stores from `factory`, one fresh fixture per test. */
export function describeReplayStoreContract(
  name: string,
  factory: () => ReplayStoreFixture | Promise<ReplayStoreFixture>,
  capabilities: ReplayStoreCapabilities = {},
): void {
  const { atomic = true } = capabilities;

  describe(`ReplayStore contract: ${name}`, () => {
    const open = openFixtures(factory);
    const inAnHour = (now: number) => Math.floor(now / 1000) + 3600;

    it('answers true the first time an identifier is seen and false every time after', async () => {
      const { store, clock } = await open();
      const id = nextId('jti_');
      expect(await store.firstSeen('sandbox', id, inAnHour(clock.now()))).toBe(true);
      expect(await store.firstSeen('sandbox', id, inAnHour(clock.now()))).toBe(false);
      expect(await store.firstSeen('sandbox', id, inAnHour(clock.now()) + 60)).toBe(false);
      // Another identifier is new.
      expect(await store.firstSeen('sandbox', nextId('jti_'), inAnHour(clock.now()))).toBe(true);
    });

    it('keeps the environments apart', async () => {
      const { store, clock } = await open();
      const id = nextId('jti_');
      expect(await store.firstSeen('sandbox', id, inAnHour(clock.now()))).toBe(true);
      expect(await store.firstSeen('production', id, inAnHour(clock.now()))).toBe(true);
      expect(await store.firstSeen('production', id, inAnHour(clock.now()))).toBe(false);
    });

    it('forgets an identifier at its deadline, not before', async () => {
      const { store, clock } = await open();
      const id = nextId('jti_');
      // Between 1.3 and 2.3 s away: a backend on the real clock (Redis) is waited for only briefly.
      const deadline = Math.ceil((clock.now() + 1300) / 1000);
      expect(await store.firstSeen('sandbox', id, deadline)).toBe(true);
      await clock.advance(200);
      expect(await store.firstSeen('sandbox', id, deadline)).toBe(false);
      await advancePast(clock, deadline * 1000, 100);
      expect(await store.firstSeen('sandbox', id, inAnHour(clock.now()))).toBe(true);
      expect(await store.firstSeen('sandbox', id, inAnHour(clock.now()))).toBe(false);
    });

    it(
      atomic
        ? 'answers true to exactly one of many concurrent calls with the same identifier'
        : 'answers true to at least one of many concurrent calls, and false to every call after them',
      async () => {
        const { store, clock } = await open();
        const id = nextId('jti_');
        const answers = await Promise.all(Array.from({ length: 20 }, () => store.firstSeen('sandbox', id, inAnHour(clock.now()))));
        const firsts = answers.filter(Boolean).length;
        if (atomic) expect(firsts).toBe(1);
        else expect(firsts).toBeGreaterThanOrEqual(1);
        expect(await store.firstSeen('sandbox', id, inAnHour(clock.now()))).toBe(false);
      },
    );

    it('raises StoreUnavailableError naming the store while its backend is down (never an unchecked identifier)', async (context) => {
      const fixture = await open();
      if (!fixture.outage) return context.skip('this backend cannot be made unavailable');
      const { store, clock, outage } = fixture;
      await outage.begin();
      await expectUnavailable(store.firstSeen('sandbox', nextId('jti_'), inAnHour(clock.now())), outage.store);
    });
  });
}
