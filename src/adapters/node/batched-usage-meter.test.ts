// The batching itself, over a recording writer: what is held, what one write carries, what a failed write keeps.
// (Against real Redis and the Cluster, the meter passes the UsageMeter conformance suite: redis-usage-meter.test.ts,
// test/conformance/redis-deployments.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../ports/testing/manual-clock.js';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import type { KeyRef } from '../../ports/key-ref.js';
import { emptyCounts, type HourlyUsage, type UsageCounter, type UsageCounts, type UsageIncrement, type UsageWriteOutcome } from '../../ports/usage-meter.js';
import { BatchedUsageMeter } from './batched-usage-meter.js';

const sandboxKey = { environment: 'sandbox' as const, keyId: 'key_a' };
const productionKey = { environment: 'production' as const, keyId: 'key_a' };
const at = (iso: string) => Date.parse(iso);

/** A store that records each batch and sums what it took; told to, it refuses some increments. */
function recordingStore() {
  const batches: UsageIncrement[][] = [];
  const written: UsageIncrement[] = [];
  const direct: UsageIncrement[] = [];
  let failing: ((increment: UsageIncrement) => boolean) | undefined;
  let maybeWritten: ((increment: UsageIncrement) => boolean) | undefined;
  let throwing = false;
  return {
    batches,
    direct,
    failWhere(predicate: ((increment: UsageIncrement) => boolean) | undefined) {
      failing = predicate;
    },
    /** Increments whose write times out: applied, but the store cannot say so. */
    timeOutWhere(predicate: ((increment: UsageIncrement) => boolean) | undefined) {
      maybeWritten = predicate;
    },
    throwOnAdd(value: boolean) {
      throwing = value;
    },
    async count(key: KeyRef, counter: UsageCounter) {
      direct.push({ key, counter, hourStartMs: 0, amount: 1 });
    },
    async readHours(key: KeyRef, fromMs: number, toMs: number): Promise<HourlyUsage[]> {
      const hours = new Map<number, UsageCounts>();
      for (const increment of written) {
        if (increment.key.environment !== key.environment || increment.key.keyId !== key.keyId) continue;
        if (increment.hourStartMs < fromMs || increment.hourStartMs >= toMs) continue;
        const counts = hours.get(increment.hourStartMs) ?? emptyCounts();
        counts[increment.counter] += increment.amount;
        hours.set(increment.hourStartMs, counts);
      }
      return [...hours].sort(([a], [b]) => a - b).map(([hourStartMs, counts]) => ({ hourStartMs, counts }));
    },
    async add(increments: readonly UsageIncrement[]): Promise<UsageWriteOutcome> {
      if (throwing) throw new StoreUnavailableError('redis', 'the client is closed');
      batches.push(increments.map((increment) => ({ ...increment })));
      const unwritten = increments.filter((increment) => failing?.(increment));
      const timedOut = increments.filter((increment) => !unwritten.includes(increment) && maybeWritten?.(increment));
      written.push(...increments.filter((increment) => !unwritten.includes(increment)).map((increment) => ({ ...increment })));
      const lost = timedOut.reduce((sum, increment) => sum + increment.amount, 0);
      if (unwritten.length === 0 && lost === 0) return { unwritten, lost };
      return { unwritten, lost, error: new StoreUnavailableError('redis', unwritten.length ? 'node down' : 'Command timed out') };
    },
  };
}

function setUp(intervalMs = 3_600_000) {
  const clock = createManualClock('2026-12-02T10:15:00Z');
  const store = recordingStore();
  const warnings: Record<string, unknown>[] = [];
  const storeErrors: string[] = [];
  const meter = new BatchedUsageMeter(store, {
    clock,
    intervalMs,
    logger: { info: () => {}, error: () => {}, warn: (message, fields) => warnings.push({ message, ...fields }) },
    metrics: { storeError: (name) => storeErrors.push(name) },
  });
  opened.push(meter);
  return { clock, store, meter, warnings, storeErrors };
}

const opened: BatchedUsageMeter[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((meter) => meter.close()));
});

describe('BatchedUsageMeter', () => {
  it('holds counts until a flush, then writes each key, hour and counter once with its sum', async () => {
    const { clock, store, meter } = setUp();
    for (let index = 0; index < 5; index++) await meter.count(sandboxKey, '2xx');
    await meter.count(sandboxKey, 'tokens');
    await meter.count(productionKey, '2xx');
    clock.set('2026-12-02T11:00:00Z');
    await meter.count(sandboxKey, '2xx');
    expect(store.batches).toEqual([]);

    await meter.flush();
    expect(store.batches).toEqual([
      [
        { key: sandboxKey, counter: '2xx', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 5 },
        { key: sandboxKey, counter: 'tokens', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 1 },
        { key: productionKey, counter: '2xx', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 1 },
        { key: sandboxKey, counter: '2xx', hourStartMs: at('2026-12-02T11:00:00Z'), amount: 1 },
      ],
    ]);
    // Nothing held: a second flush writes nothing.
    await meter.flush();
    expect(store.batches).toHaveLength(1);
  });

  it('writes what it holds before it reads, so this process sees its own counts at once', async () => {
    const { meter } = setUp();
    await meter.count(sandboxKey, 'tokens');
    await meter.count(sandboxKey, 'tokens');
    const hours = await meter.readHours(sandboxKey, at('2026-12-02T00:00:00Z'), at('2026-12-03T00:00:00Z'));
    expect(hours.map((hour) => [hour.hourStartMs, hour.counts.tokens])).toEqual([[at('2026-12-02T10:00:00Z'), 2]]);
  });

  it('writes on its own every interval', async () => {
    const { store, meter } = setUp(20);
    await meter.count(sandboxKey, '4xx');
    await expect.poll(() => store.batches.length, { timeout: 2_000, interval: 10 }).toBe(1);
    expect(store.batches[0]).toEqual([{ key: sandboxKey, counter: '4xx', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 1 }]);
  });

  it('holds what the store did not take, adds later counts to it, and writes it next time', async () => {
    const { store, meter, warnings, storeErrors } = setUp();
    store.failWhere((increment) => increment.key.environment === 'production');
    await meter.count(sandboxKey, '2xx');
    await meter.count(productionKey, '2xx');
    await meter.count(productionKey, '2xx');
    await meter.flush();
    expect(warnings).toEqual([expect.objectContaining({ message: 'could not write usage counts', held: 1, lost: 0 })]);
    expect(storeErrors).toEqual(['redis']);

    store.failWhere(undefined);
    await meter.count(productionKey, '2xx');
    const hours = await meter.readHours(productionKey, at('2026-12-02T00:00:00Z'), at('2026-12-03T00:00:00Z'));
    expect(hours.map((hour) => hour.counts['2xx'])).toEqual([3]);
    expect((await meter.readHours(sandboxKey, at('2026-12-02T00:00:00Z'), at('2026-12-03T00:00:00Z')))[0]?.counts['2xx']).toBe(1);
    // The production counts went out once more, summed, and the sandbox count was not written twice.
    expect(store.batches.at(-1)).toEqual([{ key: productionKey, counter: '2xx', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 3 }]);
  });

  it('holds a bounded number of entries while the store is down, and says how many counts it dropped', async () => {
    const clock = createManualClock('2026-12-02T10:15:00Z');
    const store = recordingStore();
    const warnings: Record<string, unknown>[] = [];
    const meter = new BatchedUsageMeter(store, {
      clock,
      intervalMs: 3_600_000,
      maxHeld: 3,
      logger: { info: () => {}, error: () => {}, warn: (message, fields) => warnings.push({ message, ...fields }) },
      metrics: { storeError: () => {} },
    });
    opened.push(meter);
    for (const keyId of ['key_1', 'key_2', 'key_3', 'key_4', 'key_5']) await meter.count({ environment: 'sandbox', keyId }, 'tokens');
    // A key already held still counts.
    await meter.count({ environment: 'sandbox', keyId: 'key_1' }, 'tokens');
    await meter.flush();
    expect(store.batches[0]!.map((increment) => [increment.key.keyId, increment.amount])).toEqual([
      ['key_1', 2],
      ['key_2', 1],
      ['key_3', 1],
    ]);
    expect(warnings).toEqual([expect.objectContaining({ message: expect.stringContaining('dropped'), dropped: 2 })]);
  });

  it('does not send again what may have been written (a timeout): no count is added twice', async () => {
    const { store, meter, warnings } = setUp();
    store.timeOutWhere(() => true);
    await meter.count(sandboxKey, '2xx');
    await meter.count(sandboxKey, '2xx');
    await meter.flush();
    expect(warnings).toEqual([expect.objectContaining({ message: 'could not write usage counts', held: 0, lost: 2 })]);
    store.timeOutWhere(undefined);
    await meter.flush();
    expect(store.batches).toHaveLength(1);
    expect((await meter.readHours(sandboxKey, at('2026-12-02T00:00:00Z'), at('2026-12-03T00:00:00Z')))[0]?.counts['2xx']).toBe(2);
  });

  it('holds everything when the store throws, and keeps writing after a failure it did not expect', async () => {
    const { store, meter } = setUp();
    store.throwOnAdd(true);
    await meter.count(sandboxKey, 'tokens');
    await meter.flush();
    expect(store.batches).toEqual([]);
    store.throwOnAdd(false);
    await meter.count(sandboxKey, 'tokens');
    await meter.flush();
    expect(store.batches).toEqual([[{ key: sandboxKey, counter: 'tokens', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 2 }]]);
  });

  it('survives a logger that throws: later flushes still write', async () => {
    const clock = createManualClock('2026-12-02T10:15:00Z');
    const store = recordingStore();
    let loud = true;
    const meter = new BatchedUsageMeter(store, {
      clock,
      intervalMs: 3_600_000,
      logger: {
        info: () => {},
        error: () => {},
        warn: () => {
          if (loud) throw new Error('the log pipe is gone');
        },
      },
      metrics: { storeError: () => {} },
    });
    opened.push(meter);
    store.failWhere(() => true);
    await meter.count(sandboxKey, '5xx');
    await expect(meter.flush()).resolves.toBeUndefined();
    loud = false;
    store.failWhere(undefined);
    await meter.flush();
    expect(store.batches.at(-1)).toEqual([{ key: sandboxKey, counter: '5xx', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 1 }]);
  });

  it('writes each count once when flushes overlap', async () => {
    const { store, meter } = setUp();
    await meter.count(sandboxKey, '2xx');
    const first = meter.flush();
    await meter.count(sandboxKey, '2xx');
    await Promise.all([first, meter.flush(), meter.flush()]);
    expect(store.batches.flat().reduce((sum, increment) => sum + increment.amount, 0)).toBe(2);
  });

  it('writes what it holds when closed (shutdown)', async () => {
    const { store, meter } = setUp();
    await meter.count(sandboxKey, 'quota_exceeded');
    await meter.close();
    expect(store.batches).toEqual([[{ key: sandboxKey, counter: 'quota_exceeded', hourStartMs: at('2026-12-02T10:00:00Z'), amount: 1 }]]);
    // Nothing would write what it held after this: a later count goes to the store at once.
    await meter.count(sandboxKey, 'tokens');
    expect(store.direct.map((increment) => increment.counter)).toEqual(['tokens']);
  });
});
