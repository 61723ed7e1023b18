// The admin-token guessing limit: failed admin tokens counted per client IP, one budget for /admin/v1 and the console sign-in.
import type { FailureCounter, RateLimiter } from '../ports/rate-limiter.js';
import type { Logger } from '../ports/runtime.js';
import { SessionStoreUnavailableError } from '../ports/session-store.js';
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
 *
 * While the limiter's store is unreachable the limit is skipped (and logged), not enforced by refusing everyone:
 * the admin API lives in the database and keeps working through a Redis outage (docs/reliability.md §3), and an
 * admin token (256 random bits) is not guessed in the minutes an outage lasts.
 */
export function createAdminTokenGuard(deps: {
  access: AdminAccess;
  limiter: RateLimiter;
  failuresPerIp: number;
  logger: Logger;
}): AdminTokenGuard {
  async function unlessStoreDown<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof SessionStoreUnavailableError)) throw error;
      deps.logger.warn('admin-token failure limit skipped: its store is unavailable', { error: error.message });
      return fallback;
    }
  }

  return {
    async identify(token, clientIp) {
      const counters: FailureCounter[] =
        clientIp === undefined ? [] : [{ key: `admin:authfail:ip:${clientIp}`, limit: deps.failuresPerIp }];
      if (counters.length > 0) {
        const retryAfter = await unlessStoreDown(() => deps.limiter.retryAfter(counters), 0);
        if (retryAfter > 0) return { ok: false, reason: 'rate_limited', retryAfter };
      }
      const identity = await deps.access.identify(token);
      if (identity.ok) return identity;
      if (counters.length > 0) {
        const keys = counters.map(({ key }) => key);
        await unlessStoreDown(() => deps.limiter.recordFailure(keys, ADMIN_FAILURE_WINDOW_SECONDS), undefined);
      }
      return { ok: false, reason: 'unknown_token' };
    },
  };
}
