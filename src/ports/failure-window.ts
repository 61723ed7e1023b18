// One failure counter as plain data: its fixed window and the places of attempts under way. The arithmetic every
// RateLimiter that keeps counters itself runs (the in-process limiter, the Workers KV limiter and Durable Object), each
// inside its own single-threaded step, and the core's count of failures the store would not take (failure-limit.ts).

export interface CounterState {
  /** Failures in the window. */
  count: number;
  /** When the window closes (ms); 0 when no failure opened one. */
  resetAt: number;
  /** Attempts under way: place id → when its lease runs out (ms). */
  places: Record<string, number>;
}

export const emptyCounter = (): CounterState => ({ count: 0, resetAt: 0, places: {} });

/** Drops a closed window and expired places, in place. */
export function settle(state: CounterState, now: number): CounterState {
  if (state.resetAt <= now) {
    state.count = 0;
    state.resetAt = 0;
  }
  for (const [id, until] of Object.entries(state.places)) if (until <= now) delete state.places[id];
  return state;
}

/** Seconds until the counter is under `limit` again; 0 when it is. */
export function waitOf(state: CounterState, now: number, limit: number): number {
  settle(state, now);
  return state.count >= limit ? Math.max(1, Math.ceil((state.resetAt - now) / 1000)) : 0;
}

/** Takes place `id` unless failures and places fill `limit`; the answer is `admit`'s retryAfter otherwise. */
export function takePlace(state: CounterState, now: number, limit: number, id: string, leaseMs: number): number | 'admitted' {
  const wait = waitOf(state, now, limit);
  if (wait > 0) return wait;
  if (state.count + Object.keys(state.places).length >= limit) return 0;
  state.places[id] = now + leaseMs;
  return 'admitted';
}

/** Counts one failure; the first one opens the window, later ones do not extend it. */
export function countFailure(state: CounterState, now: number, windowMs: number): void {
  settle(state, now);
  if (state.resetAt === 0) state.resetAt = now + windowMs;
  state.count += 1;
}

/** Gives place `id` back, counting its failure when `failed`. */
export function givePlaceBack(state: CounterState, now: number, id: string, failed: boolean, windowMs: number): void {
  delete state.places[id];
  if (failed) countFailure(state, now, windowMs);
}

/** Nothing left to keep: no open window, no place under way. */
export function isIdle(state: CounterState, now: number): boolean {
  settle(state, now);
  return state.resetAt === 0 && Object.keys(state.places).length === 0;
}
