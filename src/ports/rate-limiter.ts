// RateLimiter: fixed-window failure counters (per client_id, per IP) shared by every gateway process.
export interface RateLimiter {
  /** Seconds until `key` may try again when it has reached `limit` in its window, else 0. */
  retryAfter(key: string, limit: number): Promise<number>;
  /** Counts one failure for each key in a window of `windowSeconds`. */
  recordFailure(keys: string[], windowSeconds: number): Promise<void>;
}
