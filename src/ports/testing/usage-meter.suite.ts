// The conformance suite every UsageMeter passes: counts per key and UTC hour, exact under concurrency, read back
// as zero-filled series by hour and by day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUsageSeries, usageRange, type UsageGranularity } from '../../core/usage-series.js';
import type { KeyRef } from '../key-ref.js';
import { emptyCounts, type UsageCounter, type UsageMeter } from '../usage-meter.js';
import type { ManualClock } from './manual-clock.js';

export interface UsageMeterFixture {
  /** Meters over one shared store (for Redis, each on its own connection), all reading `clock`. */
  meters: readonly UsageMeter[];
  clock: ManualClock;
  close?(): Promise<void>;
}

let sequence = 0;
const freshKey = (environment: KeyRef['environment'] = 'sandbox'): KeyRef => ({
  environment,
  keyId: `key_usage${Date.now().toString(36)}${(sequence++).toString(36)}`,
});

const at = (iso: string) => Date.parse(iso);

export function describeUsageMeter(name: string, open: () => Promise<UsageMeterFixture>): void {
  describe(`${name} (UsageMeter conformance)`, () => {
    let fixture: UsageMeterFixture;
    let meter: UsageMeter;
    beforeAll(async () => {
      fixture = await open();
      meter = fixture.meters[0]!;
    });
    afterAll(async () => {
      await fixture?.close?.();
    });

    async function countAt(key: KeyRef, iso: string, counter: UsageCounter, times = 1): Promise<void> {
      fixture.clock.set(iso);
      for (let index = 0; index < times; index++) await meter.count(key, counter);
    }

    async function series(key: KeyRef, granularity: UsageGranularity, from: string, to: string) {
      const range = usageRange({ granularity, fromMs: at(from), toMs: at(to) }, at(to));
      if (!range.ok) throw new Error(range.detail);
      return buildUsageSeries(range.value, await meter.readHours(key, range.value.fromMs, range.value.toMs));
    }

    it('counts each counter in the UTC hour it happened', async () => {
      const key = freshKey();
      await countAt(key, '2026-12-02T03:00:00.000Z', 'tokens', 2);
      await countAt(key, '2026-12-02T03:15:00Z', '2xx', 3);
      await countAt(key, '2026-12-02T03:59:59.999Z', '5xx');
      await countAt(key, '2026-12-02T03:30:00Z', 'rate_limited');
      await countAt(key, '2026-12-02T04:00:00Z', '4xx');
      await countAt(key, '2026-12-02T04:01:00Z', 'invalid_credentials');
      expect(await meter.readHours(key, at('2026-12-02T00:00:00Z'), at('2026-12-03T00:00:00Z'))).toEqual([
        { hourStartMs: at('2026-12-02T03:00:00Z'), counts: { ...emptyCounts(), tokens: 2, '2xx': 3, '5xx': 1, rate_limited: 1 } },
        { hourStartMs: at('2026-12-02T04:00:00Z'), counts: { ...emptyCounts(), '4xx': 1, invalid_credentials: 1 } },
      ]);
    });

    it('reads whole hours in [from, to)', async () => {
      const key = freshKey();
      await countAt(key, '2026-12-02T09:30:00Z', 'quota_exceeded');
      await countAt(key, '2026-12-02T10:30:00Z', '3xx');
      await countAt(key, '2026-12-02T11:30:00Z', '2xx');
      const hours = await meter.readHours(key, at('2026-12-02T10:00:00Z'), at('2026-12-02T11:00:00Z'));
      expect(hours).toEqual([{ hourStartMs: at('2026-12-02T10:00:00Z'), counts: { ...emptyCounts(), '3xx': 1 } }]);
    });

    it('loses no count when many land at once through several connections', async () => {
      const key = freshKey();
      fixture.clock.set('2026-12-02T12:00:00Z');
      await Promise.all(
        Array.from({ length: 400 }, (_, index) => fixture.meters[index % fixture.meters.length]!.count(key, index % 4 === 0 ? 'tokens' : '2xx')),
      );
      // A batching meter holds counts back; the others' are read once written.
      await Promise.all(fixture.meters.map((other) => other.flush?.()));
      const [hour] = await meter.readHours(key, at('2026-12-02T12:00:00Z'), at('2026-12-02T13:00:00Z'));
      expect(hour?.counts).toEqual({ ...emptyCounts(), tokens: 100, '2xx': 300 });
    });

    it('keeps keys and environments apart', async () => {
      const key = freshKey();
      await countAt(key, '2026-12-02T05:00:00Z', 'tokens');
      await countAt({ ...key, environment: 'production' }, '2026-12-02T05:00:00Z', 'tokens', 2);
      await countAt(freshKey(), '2026-12-02T05:00:00Z', 'tokens', 3);
      const read = (ref: KeyRef) => meter.readHours(ref, at('2026-12-02T00:00:00Z'), at('2026-12-03T00:00:00Z'));
      expect((await read(key)).map((hour) => hour.counts.tokens)).toEqual([1]);
      expect((await read({ ...key, environment: 'production' })).map((hour) => hour.counts.tokens)).toEqual([2]);
    });

    it('gives a zero-filled series by hour', async () => {
      const key = freshKey();
      await countAt(key, '2026-12-02T01:20:00Z', '2xx', 2);
      await countAt(key, '2026-12-02T03:40:00Z', '4xx');
      const hourly = await series(key, 'hour', '2026-12-02T00:00:00Z', '2026-12-02T04:00:00Z');
      expect(hourly.points.map((point) => [point.start, point.calls['2xx'], point.calls['4xx']])).toEqual([
        ['2026-12-02T00:00:00.000Z', 0, 0],
        ['2026-12-02T01:00:00.000Z', 2, 0],
        ['2026-12-02T02:00:00.000Z', 0, 0],
        ['2026-12-02T03:00:00.000Z', 0, 1],
      ]);
      expect(hourly.totals.calls).toEqual({ '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0 });
    });

    it('gives a series by day that sums the 24 UTC hours of each day', async () => {
      const key = freshKey();
      await countAt(key, '2026-11-30T23:59:59Z', 'tokens');
      await countAt(key, '2026-12-01T00:00:00Z', 'tokens', 2);
      await countAt(key, '2026-12-01T13:00:00Z', 'tokens', 3);
      await countAt(key, '2026-12-01T23:59:59Z', 'quota_exceeded');
      await countAt(key, '2026-12-03T08:00:00Z', 'tokens', 4);
      const daily = await series(key, 'day', '2026-12-01T00:00:00Z', '2026-12-04T00:00:00Z');
      expect(daily.points.map((point) => [point.start, point.tokens, point.refusals.quota_exceeded])).toEqual([
        ['2026-12-01T00:00:00.000Z', 5, 1],
        ['2026-12-02T00:00:00.000Z', 0, 0],
        ['2026-12-03T00:00:00.000Z', 4, 0],
      ]);
      expect(daily.totals).toMatchObject({ tokens: 9, refusals: { quota_exceeded: 1 } });
    });

    it('reads 90 days back', async () => {
      const key = freshKey();
      await countAt(key, '2026-09-04T00:30:00Z', '2xx', 7);
      await countAt(key, '2026-12-02T23:30:00Z', '2xx', 1);
      fixture.clock.set('2026-12-02T23:45:00Z');
      const daily = await series(key, 'day', '2026-09-04T00:00:00Z', '2026-12-03T00:00:00Z');
      expect(daily.points).toHaveLength(90);
      expect([daily.points[0]!.calls['2xx'], daily.points[89]!.calls['2xx'], daily.totals.calls['2xx']]).toEqual([7, 1, 8]);
    });
  });
}
