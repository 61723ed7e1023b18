// Failure limits: an attempt at a secret is refused unseen once its counters hold too many recent failures.
import { countFailure, emptyCounter, waitOf, type CounterState } from '../ports/failure-window.js';
import type { Admission, FailureCounter, RateLimiter } from '../ports/rate-limiter.js';
import type { Logger } from '../ports/runtime.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import { dropEnded } from '../shared/expiring-entries.js';
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
   * Runs `attempt` unless a counter is at its limit, and counts its failure when it fails. How a burst of concurrent
   * attempts is admitted is the wiring's choice (FailureAdmission). While the counters cannot be reached, the store's
   * outage error goes up (`refuse`, the default) or the attempt runs unlimited (`proceed`, for a caller that needs no
   * store otherwise).
   */
  guard<T, R extends string>(
    counters: readonly FailureCounter[],
    attempt: () => Promise<Result<T, R>>,
    options?: GuardOptions,
  ): Promise<Result<T, R> | RateLimited>;
}

export interface GuardOptions {
  whenUnavailable?: WhenCountersUnavailable;
  /**
   * Called once the attempt has its turn, as its counters are read: reads the attempt will need can start here and
   * travel with the counters' read, and see nothing older than the attempt's turn.
   */
  admitted?: () => void;
}

/**
 * How long a counter read under its limit answers this process's later attempts (`bounded`): the staleness SPEC §6
 * allows a node's caches, so another node's failures are seen within it, as its key changes are.
 */
export const UNDER_LIMIT_MEMO_MS = 100;

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

/**
 * How `guard` admits a burst of concurrent attempts on one counter:
 * - `bounded` (Node): the counter is read before an attempt and written after it fails — one read per attempt — and
 *   this process lets at most `limit` attempts per counter run at a time (the others wait their turn in memory), so a
 *   burst gets fewer than twice the limit checked in a window per process. Legitimate concurrency costs nothing more.
 * - `exact` (Workers): each attempt takes a place on its counters in the store (`admit`) and gives it back
 *   (`release`), so the attempts checked in a window never outnumber the limit across every process; an attempt
 *   that finds every place taken asks again for up to 5 s. An in-process queue cannot be used there: a request that
 *   waits on a promise only another request can settle, with no I/O of its own, is cancelled by workerd as hung.
 */
export type FailureAdmission = 'exact' | 'bounded';

/**
 * Attempts under way in this process, at most `limit` per counter at a time; the others wait their turn.
 *
 * A counter is read before an attempt and written after it fails, so without this a burst of concurrent
 * attempts would all read the same count and all be checked: 400 guesses at once passed a limit of 5. With at
 * most `limit` of them under way, and each reading the count only when its turn comes, a burst of any size gets
 * fewer than twice the limit checked in a window (per process). Callers that never fail only wait their turn.
 */
function createTurnstile() {
  const lanes = new Map<string, { busy: number; waiting: Array<() => void> }>();
  return {
    async enter(key: string, limit: number): Promise<void> {
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { busy: 0, waiting: [] }));
      if (lane.busy < Math.max(1, limit)) {
        lane.busy++;
        return;
      }
      // leave() hands its place over: `busy` stays as it is.
      await new Promise<void>((resolve) => lane.waiting.push(resolve));
    },
    leave(key: string): void {
      const lane = lanes.get(key);
      if (!lane) return;
      const next = lane.waiting.shift();
      if (next) next();
      else if (--lane.busy === 0) lanes.delete(key);
    },
  };
}

/**
 * Counters this process read under their limits, and for how long that answer stands in for a read (`bounded` only).
 *
 * A counter read under its limit is not read again for `forMs`, unless this process counts a failure on it first:
 * every failure here makes the next attempt read, and a read that overlapped a failure of this process (counted or
 * being counted) answers only its own attempt. So failures counted by other processes are seen within `forMs`, and
 * a burst at one process still gets fewer than twice the limit checked in a window: the attempts that pass on a
 * remembered answer are the ones under way (at most `limit`, the turnstile) when the first of them fails.
 */
function createUnderLimitMemo(forMs: number, now: () => number, maxEntries: number) {
  // Nearly in expiry order (each entry lives `forMs` from its read's start): pruned from the front.
  const until = new Map<string, number>();
  // Failures begun and ended here, and those whose write is under way.
  let changes = 0;
  let counting = 0;
  return {
    /** The counters an attempt must read: those with no answer standing. */
    unread(counters: readonly FailureCounter[]): readonly FailureCounter[] {
      if (until.size === 0) return counters;
      const at = now();
      return counters.filter(({ key }) => !((until.get(key) ?? 0) > at));
    },
    /**
     * Taken before a read: `remember` keeps its answer only if no failure was being counted here meanwhile, and for
     * `forMs` from the read's start (the count may be as old as that), not its answer.
     */
    stamp: () => ({ changes, at: now() }),
    remember(counters: readonly FailureCounter[], stamp: { changes: number; at: number }): void {
      if (forMs <= 0 || stamp.changes !== changes || counting > 0) return;
      const at = now();
      dropEnded(until, at, maxEntries, (end) => end);
      for (const { key } of counters) {
        until.delete(key);
        until.set(key, stamp.at + forMs);
      }
    },
    /** The store failed a read or a write: nothing read before stands for an attempt until read again. */
    forgetAll(): void {
      changes++;
      until.clear();
    },
    /** Counts a failure through `write`: its counters are read again from now on, and no read meanwhile is kept. */
    async failing(counters: readonly FailureCounter[], write: () => Promise<void>): Promise<void> {
      changes++;
      counting++;
      for (const { key } of counters) until.delete(key);
      try {
        await write();
      } finally {
        counting--;
        changes++;
      }
    },
  };
}

/**
 * Failures this process could not write to the store, counted here for their window (`bounded` only). While the store
 * answers reads but refuses writes (OOM under `noeviction`, a demoted primary's READONLY), wrong guesses would
 * otherwise go uncounted and unlimited; with these, an attempt is refused once a counter's failures left unwritten
 * here reach its limit.
 */
function createUnwrittenFailures(windowMs: number, now: () => number, maxEntries: number) {
  // In window order: a counter's window opens at its first failure here, and a closed one is opened anew at the back.
  const states = new Map<string, CounterState>();
  return {
    /** Seconds until every counter's unwritten failures are under its limit; 0 when they are. */
    retryAfter(counters: readonly FailureCounter[]): number {
      if (states.size === 0) return 0;
      const at = now();
      let wait = 0;
      for (const { key, limit } of counters) {
        const state = states.get(key);
        if (state) wait = Math.max(wait, waitOf(state, at, limit));
      }
      return wait;
    },
    add(counters: readonly FailureCounter[]): void {
      const at = now();
      dropEnded(states, at, maxEntries, (state) => state.resetAt);
      for (const { key } of counters) {
        let state = states.get(key);
        if (!state || state.resetAt <= at) {
          states.delete(key);
          states.set(key, (state = emptyCounter()));
        }
        countFailure(state, at, windowMs);
      }
    },
  };
}

export function createFailureLimit(deps: {
  limiter: RateLimiter;
  windowSeconds: number;
  admission: FailureAdmission;
  /**
   * `bounded` only: how long a counter read under its limit stands for this process's later attempts (default 0, every
   * attempt reads). Failures counted by other processes are seen this much later at most.
   */
  underLimitMemoMs?: number;
  /** Milliseconds on a monotonic clock, for the memo: real time, whatever clock the gateway's rules run on. */
  now?: () => number;
  logger?: Logger;
}): FailureLimit {
  const { limiter, windowSeconds } = deps;

  async function check(counters: readonly FailureCounter[]): Promise<number> {
    return counters.length === 0 ? 0 : limiter.retryAfter(counters);
  }

  async function recordFailure(counters: readonly FailureCounter[]): Promise<void> {
    if (counters.length > 0) await limiter.recordFailure(counters.map(({ key }) => key), windowSeconds);
  }

  if (deps.admission === 'exact') {
    return { check, recordFailure, guard: (counters, attempt, options = {}) => guardExact(counters, attempt, options) };
  }

  const turnstile = createTurnstile();
  const now = deps.now ?? (() => performance.now());
  const memo = createUnderLimitMemo(deps.underLimitMemoMs ?? 0, now, 100_000);
  const unwritten = createUnwrittenFailures(windowSeconds * 1000, now, 100_000);
  return {
    check,
    recordFailure,
    async guard(counters, attempt, options = {}) {
      // One order for every caller, so two attempts sharing two counters never wait for each other.
      const lanes = [...counters].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { key, limit } of lanes) await turnstile.enter(key, limit);
      try {
        return await guardBounded(counters, attempt, options);
      } finally {
        for (const { key } of lanes) turnstile.leave(key);
      }
    },
  };

  /** Passes the store's outage error up (`refuse`), or logs it and gives `standIn` (`proceed`). */
  function tolerantOf(counters: readonly FailureCounter[], whenUnavailable: WhenCountersUnavailable) {
    return <V>(work: Promise<V>, standIn: V): Promise<V> =>
      whenUnavailable === 'refuse'
        ? work
        : work.catch((error: unknown) => {
            if (!(error instanceof StoreUnavailableError)) throw error;
            deps.logger?.warn('failure limit skipped: its store is unavailable', { counter: counters[0]?.key, error: error.message });
            return standIn;
          });
  }

  async function guardBounded<T, R extends string>(
    counters: readonly FailureCounter[],
    attempt: () => Promise<Result<T, R>>,
    { whenUnavailable = 'refuse', admitted }: GuardOptions,
  ): Promise<Result<T, R> | RateLimited> {
    const tolerant = tolerantOf(counters, whenUnavailable);
    const held = unwritten.retryAfter(counters);
    if (held > 0) return { ok: false, reason: 'rate_limited', retryAfter: held };
    admitted?.();
    const unread = memo.unread(counters);
    if (unread.length > 0) {
      const stamp = memo.stamp();
      const reading = check(unread).catch((error: unknown) => {
        memo.forgetAll();
        throw error;
      });
      // -1: the counters could not be read, and the attempt goes on without them (and without remembering them).
      const retryAfter = await tolerant(reading, -1);
      if (retryAfter > 0) return { ok: false, reason: 'rate_limited', retryAfter };
      if (retryAfter === 0) memo.remember(unread, stamp);
    }
    const result = await attempt();
    if (!result.ok) {
      const writing = () =>
        recordFailure(counters).catch((error: unknown) => {
          unwritten.add(counters);
          memo.forgetAll();
          throw error;
        });
      await memo.failing(counters, () => tolerant(writing(), undefined));
    }
    return result;
  }

  async function guardExact<T, R extends string>(
    counters: readonly FailureCounter[],
    attempt: () => Promise<Result<T, R>>,
    { whenUnavailable = 'refuse', admitted }: GuardOptions,
  ): Promise<Result<T, R> | RateLimited> {
    const tolerant = tolerantOf(counters, whenUnavailable);
    // Every way to the attempt goes through its turn.
    const run = () => {
      admitted?.();
      return attempt();
    };
    if (counters.length === 0) return run();
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
    if (!admission.admitted && admission.retryAfter < 0) return run();
    if (!admission.admitted) return { ok: false, reason: 'rate_limited', retryAfter: admission.retryAfter };
    const { place } = admission;
    let result: Result<T, R>;
    try {
      result = await run();
    } catch (error) {
      await limiter.release(place, false).catch(() => undefined);
      throw error;
    }
    await tolerant(limiter.release(place, !result.ok), undefined);
    return result;
  }
}
