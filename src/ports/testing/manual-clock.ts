// A Clock that tests set and move by hand, for the conformance suites.
import type { Clock } from '../runtime.js';

export interface ManualClock extends Clock {
  set(at: number | string): void;
  advance(milliseconds: number): void;
}

/** Starts at `at` (ms since the epoch, or an ISO 8601 date). */
export function createManualClock(at: number | string): ManualClock {
  const toMs = (value: number | string) => (typeof value === 'number' ? value : Date.parse(value));
  let now = toMs(at);
  return {
    now: () => now,
    set(value) {
      now = toMs(value);
    },
    advance(milliseconds) {
      now += milliseconds;
    },
  };
}
