// KeyLimiter: a key's rate limit and quota on proxied calls, and its rate limit on minting (SPEC §7), each checked
// and counted in one atomic step that every gateway process shares.
import type { KeyRef } from './key-ref.js';

/** At most `requests` at once, refilled continuously at `requests` per `windowSeconds` (GCRA). */
export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

export type QuotaPeriod = 'day' | 'month';

/** At most `requests` per UTC calendar day or month. */
export interface Quota {
  requests: number;
  period: QuotaPeriod;
}

/** What the admin API accepts; adapters rely on these bounds (a GCRA interval of at least 1 µs). */
export const LIMIT_BOUNDS = {
  rateRequests: { min: 1, max: 1_000_000 },
  windowSeconds: { min: 1, max: 86_400 },
  quotaRequests: { min: 1, max: 1_000_000_000 },
} as const;

/** The limits on a key's proxied calls (session tokens and `Api-Key` together); either may be absent. */
export interface CallLimits {
  rateLimit?: RateLimit;
  quota?: Quota;
}

/** Which budget a status describes: the call rate, the call quota, or the minting rate. */
export type LimitPolicy = 'rate' | 'quota' | 'token-rate';

/** One budget after the decision: what the RateLimit-Policy and RateLimit header fields carry. */
export interface PolicyStatus {
  policy: LimitPolicy;
  /** `q`: the budget. */
  limit: number;
  /** `w`: the window in seconds (a quota's calendar period, as long as this one is). */
  windowSeconds: number;
  /** `r`: calls that would pass right now. */
  remaining: number;
  /** `t`: seconds until `remaining` next grows (0 when it cannot: the budget is whole). */
  resetSeconds: number;
}

export type LimitRefusal = 'rate_limited' | 'quota_exceeded';

export type LimitDecision =
  | { allowed: true; policies: PolicyStatus[] }
  | {
      allowed: false;
      reason: LimitRefusal;
      /** Seconds until a call could pass (≥ 1). */
      retryAfterSeconds: number;
      policies: PolicyStatus[];
    };

export interface KeyLimiter {
  /**
   * Checks a proxied call against the key's rate limit and quota and, only when both allow it, counts it in
   * both — as one atomic step, so concurrent calls from any number of processes never pass more than the
   * budget. A refused call consumes nothing. With neither limit it allows without touching storage.
   * Throws the store's unavailable error when the backend cannot be reached (the proxy then answers 503).
   */
  admitCall(key: KeyRef, limits: CallLimits): Promise<LimitDecision>;
  /** The same for minting a token, against the key's `tokenRateLimit` (refusals are `rate_limited`). */
  admitMint(key: KeyRef, limit: RateLimit): Promise<LimitDecision>;
}
