import { describe, expect, it } from 'vitest';
import { UsageCharts, type ChartPoint, type ChartSeries } from './usage-chart.js';

function point(start: string, counts: { tokens?: number; ok?: number; server?: number; limited?: number }): ChartPoint {
  return {
    start,
    tokens: counts.tokens ?? 0,
    calls: { '2xx': counts.ok ?? 0, '3xx': 0, '4xx': 0, '5xx': counts.server ?? 0 },
    refusals: { invalid_credentials: 0, rate_limited: counts.limited ?? 0, quota_exceeded: 0 },
  };
}

async function render(series: ChartSeries): Promise<string> {
  return String(await UsageCharts({ series, hourPath: '/k?usage=hour', dayPath: '/k?usage=day' }).toString());
}

/** The bars of one chart, as [value, height] pairs in drawing order. */
function bars(html: string, chart: string): [number, number][] {
  const figure = new RegExp(`<figure class="usage-chart" data-chart="${chart}">([\\s\\S]*?)</figure>`).exec(html)![1]!;
  return [...figure.matchAll(/<rect [^>]*height="([\d.]+)"[^>]*data-value="(\d+)"/g)].map((match) => [Number(match[2]), Number(match[1])]);
}

describe('usage charts', () => {
  const series: ChartSeries = {
    granularity: 'hour',
    points: [
      point('2026-12-02T10:00:00.000Z', { tokens: 4, ok: 30, server: 10 }),
      point('2026-12-02T11:00:00.000Z', {}),
      point('2026-12-02T12:00:00.000Z', { tokens: 2, ok: 20, limited: 3 }),
    ],
  };

  it('draws one bar per counted step, in proportion, and nothing for a step without use', async () => {
    const html = await render(series);
    const tokens = bars(html, 'tokens');
    expect(tokens.map(([value]) => value)).toEqual([4, 2]);
    expect(tokens[0]![1]).toBeCloseTo(2 * tokens[1]![1], 5);
    // Calls stack 5xx on 2xx, on one scale: 30 draws 1.5 times as tall as 20.
    const calls = bars(html, 'calls');
    expect(calls.map(([value]) => value)).toEqual([30, 10, 20]);
    expect(calls[0]![1]).toBeCloseTo(1.5 * calls[2]![1], 5);
    expect(bars(html, 'refusals').map(([value]) => value)).toEqual([3]);
  });

  it('captions each chart with its totals, labels UTC hours, and marks the granularity shown', async () => {
    const html = await render(series);
    expect(html).toContain('Session tokens minted: <span class="usage-total">tokens 6</span>');
    expect(html).toContain('2xx 50, 3xx 0, 4xx 0, 5xx 10');
    expect(html).toContain('rate limited 3');
    expect(html).toMatch(/>10:00<\/text>[\s\S]*>11:00<\/text>[\s\S]*>12:00<\/text>/);
    expect(html).toMatch(/<a href="\/k\?usage=hour" aria-current="page">/);
    expect(await render({ granularity: 'day', points: [point('2026-11-30T00:00:00.000Z', {})] })).toContain('>11-30</text>');
  });
});
