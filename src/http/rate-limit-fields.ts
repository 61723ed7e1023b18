// The IETF RateLimit-Policy and RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11, May 2026) and
// Retry-After, from a KeyLimiter decision. Both fields are Structured Field Lists (RFC 9651) of String items.
import type { LimitDecision, LimitPolicy, PolicyStatus } from '../ports/key-limiter.js';

/** Policy names as clients see them; stable, documented in the README. */
export const POLICY_NAMES: Record<LimitPolicy, string> = { rate: 'rate', quota: 'quota', 'token-rate': 'token-rate' };

// RFC 9651 §4.1.6: a String is printable ASCII in quotes, with `"` and `\` escaped.
function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError(`not a Structured Field String: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/**
 * `RateLimit-Policy: "rate";q=50;w=60, "quota";q=10000;w=86400` and `RateLimit: "rate";r=12;t=2, "quota";r=9000;t=3600`.
 * `q` is the budget and `w` its window (a quota's current calendar day or month); `r` is what would pass now and
 * `t` the seconds until `r` next grows, left out while the budget is whole. Nothing for a key without limits.
 */
export function rateLimitFields(policies: readonly PolicyStatus[]): Record<string, string> {
  if (policies.length === 0) return {};
  const name = (status: PolicyStatus) => sfString(POLICY_NAMES[status.policy]);
  return {
    'RateLimit-Policy': policies.map((status) => `${name(status)};q=${status.limit};w=${status.windowSeconds}`).join(', '),
    RateLimit: policies
      .map((status) => `${name(status)};r=${status.remaining}${status.resetSeconds > 0 ? `;t=${status.resetSeconds}` : ''}`)
      .join(', '),
  };
}

/** The fields for any answer the decision led to; a refusal adds Retry-After (the refusing budget's `t`). */
export function limitHeaders(decision: LimitDecision): Record<string, string> {
  const fields = rateLimitFields(decision.policies);
  return decision.allowed ? fields : { ...fields, 'Retry-After': String(decision.retryAfterSeconds) };
}
