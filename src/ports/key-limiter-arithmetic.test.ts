import { describe, expect, it } from 'vitest';
import { emissionInterval, gcraStep, quotaPeriod } from './key-limiter-arithmetic.js';

describe('GCRA arithmetic', () => {
  it('passes a burst of exactly `requests` however the window divides', () => {
    for (const limit of [
      { requests: 7, windowSeconds: 60 },
      { requests: 3, windowSeconds: 1 },
      { requests: 1_000_000, windowSeconds: 1 },
      { requests: 999_983, windowSeconds: 86_400 },
    ]) {
      const now = Date.parse('2026-12-02T10:00:00Z') * 1000;
      let tat: number | undefined;
      let passed = 0;
      for (let call = 0; call <= limit.requests; call++) {
        const step = gcraStep(tat, now, limit);
        if (!step.conforms) break;
        tat = step.next;
        passed++;
      }
      expect(passed, JSON.stringify(limit)).toBe(limit.requests);
    }
  });

  it('rounds the interval up to whole µs, so a window is never shorter than configured', () => {
    expect(emissionInterval({ requests: 7, windowSeconds: 60 })).toBe(8_571_429);
    expect(emissionInterval({ requests: 50, windowSeconds: 60 })).toBe(1_200_000);
    expect(emissionInterval({ requests: 1_000_000, windowSeconds: 1 })).toBe(1);
  });
});

describe('quota periods', () => {
  it('are UTC calendar days and months', () => {
    expect(quotaPeriod('day', Date.parse('2026-12-31T23:59:59.999Z'))).toEqual({
      id: '2026-12-31',
      startMs: Date.parse('2026-12-31T00:00:00Z'),
      endMs: Date.parse('2027-01-01T00:00:00Z'),
    });
    expect(quotaPeriod('month', Date.parse('2026-12-31T23:59:59.999Z'))).toEqual({
      id: '2026-12',
      startMs: Date.parse('2026-12-01T00:00:00Z'),
      endMs: Date.parse('2027-01-01T00:00:00Z'),
    });
    expect(quotaPeriod('month', Date.parse('2027-01-01T00:00:00Z')).id).toBe('2027-01');
    const leap = quotaPeriod('month', Date.parse('2028-02-15T08:00:00Z'));
    expect((leap.endMs - leap.startMs) / 86_400_000).toBe(29);
  });
});
