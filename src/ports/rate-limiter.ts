// RateLimiter: fixed-window failure counters (per client_id, per IP) shared by every gateway process.
export interface FailureCounter {
  key: string;
  limit: number;
}

export interface RateLimiter {
  /** Seconds until every counter is under its limit again (the longest wait), or 0 when all are under. */
  retryAfter(counters: readonly FailureCounter[]): Promise<number>;
  /** Counts one failure for each key in a window of `windowSeconds`. */
  recordFailure(keys: string[], windowSeconds: number): Promise<void>;
}
