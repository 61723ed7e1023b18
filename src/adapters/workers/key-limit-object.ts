// KeyLimiter on Durable Objects: one object per API key holds the key's budgets, so each check-and-count is one
// step of a single-threaded object — exact, from every location (SPEC §7, §10).
import { checkLimits } from '../../ports/key-limiter-arithmetic.js';
import type { CallLimits, KeyLimiter, LimitDecision, RateLimit } from '../../ports/key-limiter.js';
import type { KeyRef } from '../../ports/key-ref.js';
import { DurableObjectClient, type DurableStateLike } from './durable-object.js';

/** What the limiter asks a key's object; `now` is the caller's clock (ms). */
interface AdmitOperation {
  op: 'admit';
  ratePolicy: 'rate' | 'token-rate';
  limits: CallLimits;
  now: number;
}

/** One key's budgets. */
interface KeyBudgets {
  /** GCRA theoretical arrival times (µs): of proxied calls (`rate`) and of mints (`token-rate`). */
  arrivals: Partial<Record<'rate' | 'token-rate', number>>;
  /** Calls counted per quota period (`2026-12-02`, `2026-12`), with the period's end (ms). */
  quotas: Record<string, { used: number; endMs: number }>;
  /** The callers' clock minus the object's at the last call (ms): the alarm judges expiry on the callers' clock. */
  clockOffset: number;
}

const STATE_KEY = 'budgets';
/**
 * Storage outlives the last budget by this much: a caller whose clock runs a little behind the object's (or a
 * test's clock that stands still) never sees its count vanish while, on its clock, the budget still runs.
 */
const EXPIRY_GRACE_MS = 60_000;

const emptyBudgets = (): KeyBudgets => ({ arrivals: {}, quotas: {}, clockOffset: 0 });

/** Drops the budgets that are whole again (TAT passed) or whose period ended; the latest deadline left (ms), or 0. */
function prune(budgets: KeyBudgets, nowMs: number): number {
  let latest = 0;
  for (const policy of ['rate', 'token-rate'] as const) {
    const tat = budgets.arrivals[policy];
    if (tat === undefined) continue;
    if (tat <= nowMs * 1000) delete budgets.arrivals[policy];
    else latest = Math.max(latest, Math.ceil(tat / 1000));
  }
  for (const [id, quota] of Object.entries(budgets.quotas)) {
    if (quota.endMs <= nowMs) delete budgets.quotas[id];
    else latest = Math.max(latest, quota.endMs);
  }
  return latest;
}

/**
 * The Durable Object class (wrangler.toml: KEY_LIMITS → KeyLimitObject): one API key's rate limits and quota
 * counters. Held in memory and written through to storage, so an evicted object comes back with its counts;
 * an alarm deletes them once every budget is whole again.
 */
export class KeyLimitObject {
  private budgets: KeyBudgets = emptyBudgets();

  constructor(
    private readonly ctx: DurableStateLike,
    _env: unknown,
  ) {
    void ctx.blockConcurrencyWhile(async () => {
      this.budgets = (await ctx.storage.get<KeyBudgets>(STATE_KEY)) ?? emptyBudgets();
    });
  }

  async fetch(request: Request): Promise<Response> {
    const operation = (await request.json()) as AdmitOperation;
    if (operation.op !== 'admit') return new Response('unknown operation', { status: 400 });
    const { ratePolicy, limits, now } = operation;
    // No await between reading the budgets and counting the call: one request's step never interleaves with another's.
    const budgets = this.budgets;
    const { decision, counted } = checkLimits(ratePolicy, limits, now, {
      tat: budgets.arrivals[ratePolicy],
      used: (period) => budgets.quotas[period.id]?.used ?? 0,
    });
    // A refused call counts nothing, and so writes nothing.
    if (!counted) return Response.json(decision);
    if (counted.tat !== undefined) budgets.arrivals[ratePolicy] = counted.tat;
    if (counted.quota) budgets.quotas[counted.quota.period.id] = { used: counted.quota.used, endMs: counted.quota.period.endMs };
    budgets.clockOffset = now - Date.now();
    const latest = prune(budgets, now);
    // Output gates hold the answer until this write is durable.
    await this.ctx.storage.put(STATE_KEY, budgets);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(this.alarmTime(latest));
    return Response.json(decision);
  }

  /** Deletes the budgets once all are whole again (on the callers' clock), or looks again at the latest deadline. */
  async alarm(): Promise<void> {
    const latest = prune(this.budgets, Date.now() + this.budgets.clockOffset - EXPIRY_GRACE_MS);
    if (latest === 0) {
      this.budgets = emptyBudgets();
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.ctx.storage.put(STATE_KEY, this.budgets);
    await this.ctx.storage.setAlarm(this.alarmTime(latest));
  }

  /** The object's own time for `deadline` on the callers' clock, plus the grace. */
  private alarmTime(deadline: number): number {
    return Math.max(Date.now() + 1000, deadline - this.budgets.clockOffset + EXPIRY_GRACE_MS);
  }
}

/**
 * The KeyLimiter over KeyLimitObject: a key's object is named by environment and key id (idFromName), so all of
 * a key's budgets are in one place, created near the location that first counts on it; keys never queue behind
 * each other. A key with no limits costs no call.
 */
export class DurableObjectKeyLimiter extends DurableObjectClient implements KeyLimiter {
  admitCall(key: KeyRef, limits: CallLimits): Promise<LimitDecision> {
    return this.admit(key, 'rate', limits);
  }

  admitMint(key: KeyRef, limit: RateLimit): Promise<LimitDecision> {
    return this.admit(key, 'token-rate', { rateLimit: limit });
  }

  private async admit(key: KeyRef, ratePolicy: 'rate' | 'token-rate', limits: CallLimits): Promise<LimitDecision> {
    if (!limits.rateLimit && !limits.quota) return { allowed: true, policies: [] };
    const operation: AdmitOperation = { op: 'admit', ratePolicy, limits, now: this.clock.now() };
    return this.callObject<LimitDecision>(`${key.environment}:limits:${key.keyId}`, operation);
  }
}
