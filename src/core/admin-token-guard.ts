// The admin-token guessing limit: failed admin tokens counted per client IP, one budget for /admin/v1 and the console sign-in.
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { AdminAccess, AdminIdentity } from './admin-access.js';

export const ADMIN_FAILURE_WINDOW_SECONDS = 60;

export type AdminTokenCheck =
  | { ok: true; value: AdminIdentity }
  | { ok: false; reason: 'unknown_token' }
  /** Too many failures from this address in the window: refused before the token is looked at, valid or not. */
  | { ok: false; reason: 'rate_limited'; retryAfter: number };

export interface AdminTokenGuard {
  identify(token: string, clientIp: string | undefined): Promise<AdminTokenCheck>;
}

/**
 * `failuresPerIp` failed tokens per address in a fixed 60 s window, in the same RateLimiter (and with the same
 * limit, KEYMINT_AUTH_FAILURES_PER_IP) as failed client authentication, under a counter of their own. Without
 * an address (an in-process call) nothing is counted.
 */
export function createAdminTokenGuard(deps: { access: AdminAccess; limiter: RateLimiter; failuresPerIp: number }): AdminTokenGuard {
  return {
    async identify(token, clientIp) {
      const counters = clientIp === undefined ? [] : [{ key: `admin:authfail:ip:${clientIp}`, limit: deps.failuresPerIp }];
      if (counters.length > 0) {
        const retryAfter = await deps.limiter.retryAfter(counters);
        if (retryAfter > 0) return { ok: false, reason: 'rate_limited', retryAfter };
      }
      const identity = await deps.access.identify(token);
      if (identity.ok) return identity;
      if (counters.length > 0) {
        await deps.limiter.recordFailure(
          counters.map(({ key }) => key),
          ADMIN_FAILURE_WINDOW_SECONDS,
        );
      }
      return { ok: false, reason: 'unknown_token' };
    },
  };
}
