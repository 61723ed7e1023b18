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
   * Concurrent failures are each counted (an atomic increment). Workers KV: false — its counters are
   * read-modify-write, so failures recorded at the same moment can overwrite one another.
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
        if (failedRecordingRaises) await expectUnavailable(store.recordFailure([key], 60), outage.store);
        else await expect(store.recordFailure([key], 60)).resolves.toBeUndefined();
      },
    );
  });
}
