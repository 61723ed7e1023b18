// The RateLimiter contract: fixed-window failure counters — counting, limits, retry-after, rollover, concurrency, outages.
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../rate-limiter.js';
import { expectUnavailable, nextId, openFixtures, type StoreFixture } from './fixtures.js';

export type RateLimiterFixture = StoreFixture<RateLimiter>;

/**
 * Where a backend cannot keep part of the contract, it says so here, by name; the suite then checks
 * the weaker promise it does keep. Every flag defaults to the whole contract.
 */
export interface RateLimiterCapabilities {
  /**
   * Concurrent failures and places are each counted (an atomic step). Workers KV: false — its counters are
   * read-modify-write, so failures recorded or places taken at the same moment can overwrite one another.
   */
  atomicCounters?: boolean;
  /**
   * `recordFailure` raises StoreUnavailableError during an outage. Workers KV: false — it ignores a failed
   * write, because the caller's answer (401) is already decided and must not become a 503.
   */
  failedRecordingRaises?: boolean;
}

const counter = () => nextId('sandbox:authfail:client:');

/** Declares the RateLimiter contract against limiters from `factory`, one fresh fixture per test. */
export function describeRateLimiterContract(
  name: string,
  factory: () => RateLimiterFixture | Promise<RateLimiterFixture>,
  capabilities: RateLimiterCapabilities = {},
): void {
  const { atomicCounters = true, failedRecordingRaises = true } = capabilities;

  describe(`RateLimiter contract: ${name}`, () => {
    const open = openFixtures(factory);

    it('asks no wait without failures, nor for no counters', async () => {
      const { store } = await open();
      expect(await store.retryAfter([])).toBe(0);
      expect(await store.retryAfter([{ key: counter(), limit: 1 }])).toBe(0);
    });

    it('counts failures per key and, once one reaches its limit, asks the seconds left in its window', async () => {
      const { store } = await open();
      const [limited, bystander] = [counter(), counter()];
      await store.recordFailure([limited], 60);
      await store.recordFailure([limited], 60);
      expect(await store.retryAfter([{ key: limited, limit: 3 }])).toBe(0);
      await store.recordFailure([limited], 60);
      const wait = await store.retryAfter([{ key: limited, limit: 3 }]);
      expect(wait).toBeGreaterThanOrEqual(59);
      expect(wait).toBeLessThanOrEqual(60);
      // Past the limit it stays limited.
      expect(await store.retryAfter([{ key: limited, limit: 2 }])).toBe(wait);
      expect(await store.retryAfter([{ key: bystander, limit: 1 }])).toBe(0);
    });

    it('records one failure on each key it is given, and asks the longest wait among counters at their limit', async () => {
      const { store } = await open();
      const [client, ip, brief] = [counter(), counter(), counter()];
      await store.recordFailure([brief], 2);
      await store.recordFailure([client, ip], 60);
      expect(await store.retryAfter([{ key: client, limit: 1 }, { key: ip, limit: 1 }])).toBeGreaterThanOrEqual(59);
      const both = await store.retryAfter([{ key: brief, limit: 1 }, { key: ip, limit: 1 }]);
      expect(both).toBeGreaterThanOrEqual(59);
      expect(both).toBeLessThanOrEqual(60);
      // A counter under its limit adds no wait, however long its window.
      const briefOnly = await store.retryAfter([{ key: brief, limit: 1 }, { key: ip, limit: 2 }]);
      expect(briefOnly).toBeGreaterThanOrEqual(1);
      expect(briefOnly).toBeLessThanOrEqual(2);
    });

    it('keeps the window its first failure opened, and counts afresh once it has passed', async () => {
      const { store, clock } = await open();
      const key = counter();
      await store.recordFailure([key], 2);
      await clock.advance(1000);
      await store.recordFailure([key], 2);
      // A later failure does not extend the window: at most one of its two seconds is left.
      expect(await store.retryAfter([{ key, limit: 2 }])).toBe(1);

      await clock.advance(1050);
      expect(await store.retryAfter([{ key, limit: 2 }])).toBe(0);
      expect(await store.retryAfter([{ key, limit: 1 }])).toBe(0);
      await store.recordFailure([key], 2);
      expect(await store.retryAfter([{ key, limit: 2 }])).toBe(0);
      expect(await store.retryAfter([{ key, limit: 1 }])).toBeGreaterThan(0);
    });

    it(
      atomicCounters
        ? 'counts every one of concurrent failures'
        : 'counts at least one and at most all of concurrent failures (atomicCounters: false)',
      async () => {
        const { store } = await open();
        const key = counter();
        await Promise.all(Array.from({ length: 20 }, () => store.recordFailure([key], 60)));
        expect(await store.retryAfter([{ key, limit: atomicCounters ? 20 : 1 }])).toBeGreaterThan(0);
        expect(await store.retryAfter([{ key, limit: 21 }])).toBe(0);
      },
    );

    it('admits at most `limit` attempts under way, counts the failures they report, and then refuses for the window', async () => {
      const { store } = await open();
      const key = counter();
      const options = { windowSeconds: 60, leaseSeconds: 30 };
      const first = await store.admit([{ key, limit: 2 }], options);
      const second = await store.admit([{ key, limit: 2 }], options);
      expect(first.admitted && second.admitted).toBe(true);
      // Both places are taken but no failure is counted: not limited, only full — ask again.
      expect(await store.admit([{ key, limit: 2 }], options)).toEqual({ admitted: false, retryAfter: 0 });
      expect(await store.retryAfter([{ key, limit: 2 }])).toBe(0);

      if (!first.admitted || !second.admitted) return;
      await store.release(first.place, false);
      const third = await store.admit([{ key, limit: 2 }], options);
      expect(third.admitted).toBe(true);
      await store.release(second.place, true);
      if (third.admitted) await store.release(third.place, true);
      const refused = await store.admit([{ key, limit: 2 }], options);
      expect(refused.admitted).toBe(false);
      expect(refused.admitted ? 0 : refused.retryAfter).toBeGreaterThanOrEqual(59);
      expect(await store.retryAfter([{ key, limit: 2 }])).toBeGreaterThanOrEqual(59);
    });

    it('takes a place on every counter or on none, and gives back one whose lease ran out', async () => {
      const { store, clock } = await open();
      const [client, ip] = [counter(), counter()];
      const options = { windowSeconds: 60, leaseSeconds: 1 };
      await store.recordFailure([client], 60);
      // The client counter is at its limit: the place the IP counter would have given is handed back.
      const refused = await store.admit([{ key: ip, limit: 1 }, { key: client, limit: 1 }], options);
      expect(refused.admitted).toBe(false);
      const alone = await store.admit([{ key: ip, limit: 1 }], options);
      expect(alone.admitted).toBe(true);
      expect(alone.admitted && alone.place.keys).toEqual([ip]);
      expect((await store.admit([{ key: ip, limit: 1 }], options)).admitted).toBe(false);
      // The attempt never released its place (its process died): the lease gives it up.
      await clock.advance(1100);
      expect((await store.admit([{ key: ip, limit: 1 }], options)).admitted).toBe(true);
    });

    it(
      atomicCounters
        ? 'admits exactly `limit` of concurrent attempts'
        : 'admits at least one of concurrent attempts (atomicCounters: false)',
      async () => {
        const { store } = await open();
        const key = counter();
        const answers = await Promise.all(
          Array.from({ length: 30 }, () => store.admit([{ key, limit: 10 }], { windowSeconds: 60, leaseSeconds: 30 })),
        );
        const admitted = answers.filter((answer) => answer.admitted).length;
        if (atomicCounters) expect(admitted).toBe(10);
        else expect(admitted).toBeGreaterThanOrEqual(1);
        expect(answers.filter((answer) => !answer.admitted && answer.retryAfter === 0)).toHaveLength(30 - admitted);
      },
    );

    it(
      failedRecordingRaises
        ? 'raises StoreUnavailableError naming the store from both operations while its backend is down'
        : 'raises StoreUnavailableError from retryAfter while its backend is down, and drops failures silently (failedRecordingRaises: false)',
      async (context) => {
        const fixture = await open();
        if (!fixture.outage) return context.skip('this backend cannot be made unavailable');
        const { store, outage } = fixture;
        const key = counter();
        await store.recordFailure([key], 60);
        await outage.begin();

        await expectUnavailable(store.retryAfter([{ key, limit: 1 }]), outage.store);
        await expectUnavailable(store.admit([{ key, limit: 5 }], { windowSeconds: 60, leaseSeconds: 30 }), outage.store);
        if (failedRecordingRaises) await expectUnavailable(store.recordFailure([key], 60), outage.store);
        else await expect(store.recordFailure([key], 60)).resolves.toBeUndefined();
      },
    );
  });
}
