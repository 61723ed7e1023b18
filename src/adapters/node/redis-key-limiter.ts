// KeyLimiter on Redis: one Lua script checks and counts a key's budgets atomically; all of a key's limit keys share
// one hash slot (`{env:keyId}`), so the script runs on Redis Cluster too.
import { defineScript, guarded, type RedisClient } from './redis-client.js';
import {
  decideLimits,
  emissionInterval,
  quotaPeriod,
  quotaStatus,
  rateStatus,
  type BudgetCheck,
} from '../../ports/key-limiter-arithmetic.js';
import type { CallLimits, KeyLimiter, LimitDecision, RateLimit } from '../../ports/key-limiter.js';
import type { KeyRef } from '../../ports/key-ref.js';
import { systemClock, type Clock } from '../../ports/runtime.js';

// The arithmetic of ports/key-limiter-arithmetic.ts (gcraStep, then counting only when every budget conforms),
// with the time passed in rather than read from Redis, so that tests can move it.
// KEYS[1] = GCRA key (TAT in µs), KEYS[2] = quota counter of the current period (only with a quota)
// ARGV = now µs, rate requests (0: no rate limit), interval µs, quota requests (0: no quota), quota TTL ms
// Returns {rate conforms, quota conforms, TAT after (µs, as text: doubles print inexactly), quota used after}.
const ADMIT = `
local now = tonumber(ARGV[1])
local rateRequests = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local quotaRequests = tonumber(ARGV[4])
local tat = now
local rateConforms = 1
if rateRequests > 0 then
  local stored = redis.call('GET', KEYS[1])
  if stored then tat = math.max(tonumber(stored), now) end
  if tat - now > (rateRequests - 1) * interval then rateConforms = 0 end
end
local used = 0
local quotaConforms = 1
if quotaRequests > 0 then
  used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= quotaRequests then quotaConforms = 0 end
end
if rateConforms == 1 and quotaConforms == 1 then
  if rateRequests > 0 then
    tat = tat + interval
    redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
  end
  if quotaRequests > 0 then
    used = redis.call('INCR', KEYS[2])
    if used == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
  end
end
return {rateConforms, quotaConforms, string.format('%.0f', tat), used}`;

// A quota counter outlives its period by this much, for processes whose clocks lag a little.
const QUOTA_GRACE_MS = 3_600_000;

type AdmitReply = [number, number, string, number];

interface LimiterScripts {
  kmAdmitKey(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<AdmitReply>;
}

export class RedisKeyLimiter implements KeyLimiter {
  private readonly scripts: LimiterScripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock = systemClock,
    private readonly prefix = 'km',
  ) {
    defineScript(redis, 'kmAdmitKey', ADMIT);
    this.scripts = redis as unknown as LimiterScripts;
  }

  /** `km:{sandbox:key_…}:rate`: the braces make every limit key of one API key hash to one slot. */
  private name(key: KeyRef, budget: string): string {
    return `${this.prefix}:{${key.environment}:${key.keyId}}:${budget}`;
  }

  admitCall(key: KeyRef, limits: CallLimits): Promise<LimitDecision> {
    return this.admit(key, 'rate', limits);
  }

  admitMint(key: KeyRef, limit: RateLimit): Promise<LimitDecision> {
    return this.admit(key, 'token-rate', { rateLimit: limit });
  }

  private async admit(key: KeyRef, ratePolicy: 'rate' | 'token-rate', limits: CallLimits): Promise<LimitDecision> {
    const { rateLimit, quota } = limits;
    if (!rateLimit && !quota) return { allowed: true, policies: [] };
    const nowMs = this.clock.now();
    const nowUs = nowMs * 1000;
    const period = quota && quotaPeriod(quota.period, nowMs);
    const keys = [this.name(key, ratePolicy)];
    if (period) keys.push(this.name(key, `quota:${period.id}`));
    const [rateConforms, quotaConforms, tat, used] = await guarded(this.redis, () =>
      this.scripts.kmAdmitKey(
        keys.length,
        ...keys,
        nowUs,
        rateLimit?.requests ?? 0,
        rateLimit ? emissionInterval(rateLimit) : 0,
        quota?.requests ?? 0,
        period ? period.endMs - nowMs + QUOTA_GRACE_MS : 0,
      ),
    );
    const checks: BudgetCheck[] = [];
    if (rateLimit) checks.push({ status: rateStatus(ratePolicy, rateLimit, Number(tat), nowUs), conforms: rateConforms === 1 });
    if (quota && period) checks.push({ status: quotaStatus(quota, period, used, nowMs), conforms: quotaConforms === 1 });
    return decideLimits(checks);
  }
}
