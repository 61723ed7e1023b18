import { describe, expect, it } from 'vitest';
import { emptyCounts } from '../ports/usage-meter.js';
import { buildUsageSeries, usageRange } from './usage-series.js';

const at = (iso: string) => Date.parse(iso);
const NOW = at('2026-12-02T10:17:00Z');

describe('the range of a usage read', () => {
  it('defaults to the last day by hour and the last 30 days by day, the current hour or day included', () => {
    expect(usageRange({ granularity: 'hour' }, NOW)).toEqual({
      ok: true,
      value: { granularity: 'hour', fromMs: at('2026-12-01T11:00:00Z'), toMs: at('2026-12-02T11:00:00Z') },
    });
    expect(usageRange({ granularity: 'day' }, NOW)).toEqual({
      ok: true,
      value: { granularity: 'day', fromMs: at('2026-11-03T00:00:00Z'), toMs: at('2026-12-03T00:00:00Z') },
    });
  });

  it('widens from and to to whole UTC hours or days', () => {
    expect(usageRange({ granularity: 'hour', fromMs: at('2026-12-01T05:59:59Z'), toMs: at('2026-12-01T07:00:01Z') }, NOW)).toMatchObject({
      value: { fromMs: at('2026-12-01T05:00:00Z'), toMs: at('2026-12-01T08:00:00Z') },
    });
    expect(usageRange({ granularity: 'day', fromMs: at('2026-12-01T05:00:00Z'), toMs: at('2026-12-01T05:00:00Z') }, NOW)).toMatchObject({
      value: { fromMs: at('2026-12-01T00:00:00Z'), toMs: at('2026-12-02T00:00:00Z') },
    });
  });

  it('refuses more than 90 days, an empty or reversed range, and what is not a date', () => {
    expect(usageRange({ granularity: 'day', fromMs: at('2026-09-03T00:00:00Z'), toMs: at('2026-12-02T00:00:00Z') }, NOW).ok).toBe(true);
    expect(usageRange({ granularity: 'day', fromMs: at('2026-09-02T00:00:00Z'), toMs: at('2026-12-02T00:00:00Z') }, NOW)).toEqual({
      ok: false,
      reason: 'invalid_range',
      detail: 'the range may span at most 90 days',
    });
    expect(usageRange({ granularity: 'hour', fromMs: at('2026-12-02T00:00:00Z'), toMs: at('2026-12-01T00:00:00Z') }, NOW)).toMatchObject({
      detail: 'from must be before to',
    });
    expect(usageRange({ granularity: 'hour', fromMs: Number.NaN }, NOW)).toMatchObject({ detail: 'from and to must be dates' });
  });
});

describe('a usage series', () => {
  it('has a point for every step, zeros where nothing was counted, and ignores hours outside the range', () => {
    const range = { granularity: 'hour' as const, fromMs: at('2026-12-02T00:00:00Z'), toMs: at('2026-12-02T03:00:00Z') };
    const series = buildUsageSeries(range, [
      { hourStartMs: at('2026-12-02T02:00:00Z'), counts: { ...emptyCounts(), tokens: 4, '5xx': 1 } },
      { hourStartMs: at('2026-12-02T03:00:00Z'), counts: { ...emptyCounts(), tokens: 100 } },
    ]);
    expect(series).toEqual({
      granularity: 'hour',
      from: '2026-12-02T00:00:00.000Z',
      to: '2026-12-02T03:00:00.000Z',
      points: [
        expect.objectContaining({ start: '2026-12-02T00:00:00.000Z', tokens: 0 }),
        expect.objectContaining({ start: '2026-12-02T01:00:00.000Z', tokens: 0 }),
        {
          start: '2026-12-02T02:00:00.000Z',
          tokens: 4,
          calls: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 1 },
          refusals: { invalid_credentials: 0, rate_limited: 0, quota_exceeded: 0 },
        },
      ],
      totals: {
        tokens: 4,
        calls: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 1 },
        refusals: { invalid_credentials: 0, rate_limited: 0, quota_exceeded: 0 },
      },
    });
  });
});
