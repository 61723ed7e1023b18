// The admin-token guessing limit: failed admin tokens counted per client IP, one budget for /admin/v1 and the console sign-in.
import { addressBucket } from './address-bucket.js';
import type { Result } from '../shared/result.js';
import type { AdminAccess, AdminIdentity } from './admin-access.js';
import type { FailureLimit, RateLimited } from './failure-limit.js';

export type AdminTokenCheck =
  | Result<AdminIdentity, 'unknown_token'>
  /** Too many failures from this address in the window: refused before the token is looked at, valid or not. */
  | RateLimited;

export interface AdminTokenGuard {
  identify(token: string, clientIp: string | undefined): Promise<AdminTokenCheck>;
}

/**
 * `failuresPerIp` failed tokens per address in the failure limit's window, in the same limiter (and with the
 * same limit, KEYMINT_AUTH_FAILURES_PER_IP) as failed client authentication, under a counter of their own.
 * Without an address (an in-process call) nothing is counted.
 *
 * While the limiter's store is unreachable the limit is skipped (and logged), not enforced by refusing everyone:
 * the admin API lives in the database and keeps working through a Redis outage (docs/reliability.md §3), and an
 * admin token (256 random bits) is not guessed in the minutes an outage lasts.
 */
export function createAdminTokenGuard(deps: { access: AdminAccess; failures: FailureLimit; failuresPerIp: number }): AdminTokenGuard {
  return {
    identify(token, clientIp) {
      const counters = clientIp === undefined ? [] : [{ key: `admin:authfail:ip:${addressBucket(clientIp)}`, limit: deps.failuresPerIp }];
      return deps.failures.guard(counters, () => deps.access.identify(token), { whenUnavailable: 'proceed' });
    },
  };
}
