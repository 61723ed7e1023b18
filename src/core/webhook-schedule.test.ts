import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextWebhookAttemptAt, WEBHOOK_MAX_ATTEMPTS } from './webhook-schedule.js';

const HOUR = 3_600_000;
const t0 = Date.UTC(2026, 11, 1);

/** The times of every attempt of a delivery that always fails, the first at t0. */
function attemptTimes(random: () => number): number[] {
  const times = [t0];
  for (let attempts = 1; ; attempts++) {
    const next = nextWebhookAttemptAt(attempts, times.at(-1)!, random);
    if (next === null) return times;
    times.push(next);
  }
}

describe('the webhook retry schedule', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h without jitter, then gives up after the eighth attempt', () => {
    const times = attemptTimes(() => 0.5);
    expect(times.slice(1).map((time, i) => time - times[i]!)).toEqual([5_000, 300_000, 1_800_000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
    expect(times).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
    expect(nextWebhookAttemptAt(WEBHOOK_MAX_ATTEMPTS, t0)).toBeNull();
  });

  it('keeps trying for at least 24 hours and at most ±10 % off each wait, whatever the jitter draws', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 7, maxLength: 7 }), (draws) => {
        let i = 0;
        const times = attemptTimes(() => draws[i++]!);
        expect(times.at(-1)! - t0).toBeGreaterThanOrEqual(24 * HOUR);
        const plain = attemptTimes(() => 0.5);
        for (let n = 1; n < times.length; n++) {
          const wait = times[n]! - times[n - 1]!;
          const planned = plain[n]! - plain[n - 1]!;
          expect(Math.abs(wait - planned)).toBeLessThanOrEqual(planned * 0.1 + 1);
        }
      }),
    );
  });

  it('spreads deliveries that failed together', () => {
    const waits = new Set(Array.from({ length: 20 }, () => nextWebhookAttemptAt(3, t0)! - t0));
    expect(waits.size).toBeGreaterThan(10);
  });

  it('refuses an attempt count that is not a whole number ≥ 1', () => {
    expect(() => nextWebhookAttemptAt(0, t0)).toThrow(RangeError);
    expect(() => nextWebhookAttemptAt(1.5, t0)).toThrow(RangeError);
  });
});
