// 429 answers for a key past its limits: problem JSON on the proxy (`rate_limited`, `quota_exceeded`), and the
// token endpoint's RFC 6749-style `slow_down`; each with Retry-After and the RateLimit fields.
import type { LimitDecision, PolicyStatus } from '../../ports/key-limiter.js';
import { assertNever } from '../../shared/result.js';
import { limitHeaders, POLICY_NAMES } from '../rate-limit-fields.js';
import { ApiProblem } from './api-problem.js';
import { OAuthError } from './oauth-error.js';

export type RefusedDecision = Extract<LimitDecision, { allowed: false }>;

function refusingPolicy(decision: RefusedDecision): PolicyStatus {
  const quota = decision.reason === 'quota_exceeded';
  const found = decision.policies.find((status) => (status.policy === 'quota') === quota && status.remaining === 0);
  if (!found) throw new TypeError(`a ${decision.reason} decision without the budget that refused it`);
  return found;
}

function describeRefusal(decision: RefusedDecision, status: PolicyStatus): string {
  const wait = `try again in ${decision.retryAfterSeconds} s`;
  switch (decision.reason) {
    case 'rate_limited':
      return status.policy === 'token-rate'
        ? `this key may mint ${status.limit} tokens per ${status.windowSeconds} s; ${wait}`
        : `this key may make ${status.limit} calls per ${status.windowSeconds} s; ${wait}`;
    case 'quota_exceeded': {
      // A day quota's window is always 86 400 s; a month's is 28 to 31 days.
      const period = status.windowSeconds === 86_400 ? 'day' : 'month';
      return `this key has used its quota of ${status.limit} calls for this UTC ${period}; it renews in ${decision.retryAfterSeconds} s`;
    }
    default:
      return assertNever(decision.reason);
  }
}

/**
 * The proxy's 429 for a call past its key's limits: the admin API's problem JSON (one title per code), plus the
 * draft's `violated-policies` member naming the refusing policy; answered by the app's one onError.
 */
export function callRefused(decision: RefusedDecision): ApiProblem {
  const status = refusingPolicy(decision);
  return new ApiProblem(429, decision.reason, describeRefusal(decision, status), {
    headers: limitHeaders(decision),
    members: { 'violated-policies': [POLICY_NAMES[status.policy]] },
  });
}

/** The token endpoint's 429 for a key past its `tokenRateLimit`: `{"error":"slow_down",…}` with Retry-After. */
export function mintRefusal(decision: RefusedDecision): OAuthError {
  return new OAuthError(429, 'slow_down', describeRefusal(decision, refusingPolicy(decision)), limitHeaders(decision), 'token_rate_limited');
}
