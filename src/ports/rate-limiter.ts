// RateLimiter: fixed-window failure counters (per client_id, per IP) shared by every gateway process.

/**
 * The name of an application ID's failure counter (a Redis key after the prefix, docs/storage.md: keep it stable).
 * KeyVersions keeps the ID's mark in the same hash slot, so one name serves both.
 */
export function clientFailureCounter(environment: string, clientId: string): string {
  return `${environment}:authfail:client:${clientId}`;
}

export interface FailureCounter {
  key: string;
  limit: number;
}

/** One attempt's place on its counters, taken by `admit` and handed back by `release`. */
export interface AttemptPlace {
  /** Unique per attempt. */
  id: string;
  keys: string[];
  /** The window a failure opens when it is the counter's first. */
  windowSeconds: number;
}

/**
 * `admit`'s answer. Refused with `retryAfter` > 0: a counter holds `limit` failures, for that many more
 * seconds. Refused with `retryAfter` 0: failures and attempts under way together fill a counter's places —
 * none is over its limit yet, so ask again once an attempt under way has ended.
 */
export type Admission = { admitted: true; place: AttemptPlace } | { admitted: false; retryAfter: number };

export interface RateLimiter {
  /** Seconds until every counter is under its limit again (the longest wait), or 0 when all are under. */
  retryAfter(counters: readonly FailureCounter[]): Promise<number>;
  /** Counts one failure for each key in a window of `windowSeconds`. */
  recordFailure(keys: string[], windowSeconds: number): Promise<void>;
  /**
   * Takes a place for one attempt on every counter at once, unless on some counter the failures in its
   * window plus the attempts under way reach its limit. A place not released within `leaseSeconds` (its
   * process died) is given up. With `admit` before and `release` after each attempt, no more than `limit`
   * attempts are ever checked against a counter in a window, however many arrive at once.
   */
  admit(counters: readonly FailureCounter[], options: { windowSeconds: number; leaseSeconds: number }): Promise<Admission>;
  /** Gives a place back; `failed` counts the attempt's failure on each of its counters in the same step. */
  release(place: AttemptPlace, failed: boolean): Promise<void>;
}

/**
 * Admits on every counter at once through `admitOne` (for backends whose atomic step covers one counter), and
 * gives back the places taken when another counter refuses or fails. Counters stay exact one by one; two
 * attempts that share two counters may each be refused by the other's place, and ask again.
 */
export async function admitEach(
  counters: readonly FailureCounter[],
  admitOne: (counter: FailureCounter, id: string) => Promise<number | 'admitted'>,
  releaseOne: (key: string, id: string) => Promise<void>,
  windowSeconds: number,
): Promise<Admission> {
  const id = crypto.randomUUID();
  const answers = await Promise.allSettled(counters.map((counter) => admitOne(counter, id)));
  const taken = counters.filter((_, index) => {
    const answer = answers[index]!;
    return answer.status === 'fulfilled' && answer.value === 'admitted';
  });
  if (taken.length === counters.length) return { admitted: true, place: { id, keys: taken.map(({ key }) => key), windowSeconds } };
  await Promise.allSettled(taken.map(({ key }) => releaseOne(key, id)));
  let retryAfter = 0;
  for (const answer of answers) {
    if (answer.status === 'rejected') throw answer.reason;
    if (answer.value !== 'admitted') retryAfter = Math.max(retryAfter, answer.value);
  }
  return { admitted: false, retryAfter };
}
