// Failure limits: an attempt at a secret is refused unseen once its counters hold too many recent failures.
import type { Admission, FailureCounter, RateLimiter } from '../ports/rate-limiter.js';
import type { Logger } from '../ports/runtime.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import type { Fail, Result } from '../shared/result.js';

export type WhenCountersUnavailable = 'refuse' | 'proceed';

/** Refused before the attempt was checked; `retryAfter` is the seconds until every counter is under its limit. */
export type RateLimited = Fail<'rate_limited'> & { retryAfter: number };

export interface FailureLimit {
  /** Seconds until every counter is under its limit again; 0 when the attempt may go ahead. */
  check(counters: readonly FailureCounter[]): Promise<number>;
  /** Counts one failure on every counter; a counter's window opens with its first failure. */
  recordFailure(counters: readonly FailureCounter[]): Promise<void>;
  /**
   * Runs `attempt` unless a counter is at its limit, and counts its failure when it fails: the attempt holds a
   * place on its counters while it runs, so the attempts checked in a window never outnumber the limit, however
   * many arrive at once (the others wait for a place, or are refused once the failures fill it). While the counters
   * cannot be reached, the store's outage error goes up (`refuse`, the default) or the attempt runs unlimited
   * (`proceed`, for a caller that needs no store otherwise).
   */
  guard<T, R extends string>(
    counters: readonly FailureCounter[],
    attempt: () => Promise<Result<T, R>>,
    options?: { whenUnavailable?: WhenCountersUnavailable },
  ): Promise<Result<T, R> | RateLimited>;
}

/** The counters' window: a counter opens with its first failure and is gone this many seconds later. */
export const FAILURE_WINDOW_SECONDS = 60;

/** An attempt's place on its counters is given up after this long, should its process die before releasing it. */
export const ATTEMPT_LEASE_SECONDS = 30;

/**
 * While attempts under way hold every place left on a counter, an attempt asks again after a pause that
 * grows from the first to the last of these (ms), for at most MAX_WAIT_MS in all; then it is refused for a second.
 */
const ASK_AGAIN_MS = [5, 10, 20, 40, 80, 160];
const MAX_WAIT_MS = 5000;

export function createFailureLimit(deps: { limiter: RateLimiter; windowSeconds: number; logger?: Logger }): FailureLimit {
  const { limiter, windowSeconds } = deps;

  async function check(counters: readonly FailureCounter[]): Promise<number> {
    return counters.length === 0 ? 0 : limiter.retryAfter(counters);
  }

  async function recordFailure(counters: readonly FailureCounter[]): Promise<void> {
    if (counters.length > 0) await limiter.recordFailure(counters.map(({ key }) => key), windowSeconds);
  }

  return {
    check,
    recordFailure,
    // The store's places bound the attempts under way (and so keep the limit exact) in every process at once.
    // An in-process queue in front of them would hang on Workers: a request that waits on a promise only
    // another request can settle, with no I/O of its own, is cancelled by the runtime as hung.
    guard: (counters, attempt, options = {}) => guardOne(counters, attempt, options),
  };

  async function guardOne<T, R extends string>(
    counters: readonly FailureCounter[],
    attempt: () => Promise<Result<T, R>>,
    { whenUnavailable = 'refuse' }: { whenUnavailable?: WhenCountersUnavailable },
  ): Promise<Result<T, R> | RateLimited> {
    const tolerant = <V>(work: Promise<V>, standIn: V): Promise<V> =>
      whenUnavailable === 'refuse'
        ? work
        : work.catch((error: unknown) => {
            if (!(error instanceof StoreUnavailableError)) throw error;
            deps.logger?.warn('failure limit skipped: its store is unavailable', { counter: counters[0]?.key, error: error.message });
            return standIn;
          });
    if (counters.length === 0) return attempt();
    const unlimited: Admission = { admitted: false, retryAfter: -1 };
    const admit = () => tolerant(limiter.admit(counters, { windowSeconds, leaseSeconds: ATTEMPT_LEASE_SECONDS }), unlimited);
    let admission = await admit();
    for (let waited = 0, turn = 0; !admission.admitted && admission.retryAfter === 0; turn++) {
      if (waited >= MAX_WAIT_MS) return { ok: false, reason: 'rate_limited', retryAfter: 1 };
      const pause = ASK_AGAIN_MS[Math.min(turn, ASK_AGAIN_MS.length - 1)]!;
      await new Promise((resolve) => setTimeout(resolve, pause));
      waited += pause;
      admission = await admit();
    }
    // The counters could not be reached and the caller goes on without them.
    if (!admission.admitted && admission.retryAfter < 0) return attempt();
    if (!admission.admitted) return { ok: false, reason: 'rate_limited', retryAfter: admission.retryAfter };
    const { place } = admission;
    let result: Result<T, R>;
    try {
      result = await attempt();
    } catch (error) {
      await limiter.release(place, false).catch(() => undefined);
      throw error;
    }
    await tolerant(limiter.release(place, !result.ok), undefined);
    return result;
  }
}
