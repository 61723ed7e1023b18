// The conformance suite every KeyLimiter passes: exact budgets under concurrency, refusals that cost nothing,
// GCRA refill, UTC calendar quotas, and the numbers the RateLimit headers carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLimits, KeyLimiter, LimitDecision, PolicyStatus } from '../key-limiter.js';
import type { KeyRef } from '../key-ref.js';
import type { ManualClock } from './manual-clock.js';

export interface KeyLimiterFixture {
  /** Limiters over one shared store (for Redis, each on its own connection), all reading `clock`. */
  limiters: readonly KeyLimiter[];
  clock: ManualClock;
  close?(): Promise<void>;
}

let sequence = 0;
const freshKey = (environment: KeyRef['environment'] = 'sandbox'): KeyRef => ({
  environment,
  keyId: `key_suite${Date.now().toString(36)}${(sequence++).toString(36)}`,
});

const policy = (decision: LimitDecision, name: PolicyStatus['policy']) => decision.policies.find((status) => status.policy === name);

export function describeKeyLimiter(name: string, open: () => Promise<KeyLimiterFixture>): void {
  describe(`${name} (KeyLimiter conformance)`, () => {
    let fixture: KeyLimiterFixture;
    let limiter: KeyLimiter;
    beforeAll(async () => {
      fixture = await open();
      limiter = fixture.limiters[0]!;
    });
    afterAll(async () => {
      await fixture?.close?.();
    });

    /** `count` calls at once, spread over every limiter; how many passed and the refusals. */
    async function race(count: number, admit: (limiter: KeyLimiter) => Promise<LimitDecision>) {
      const decisions = await Promise.all(
        Array.from({ length: count }, (_, index) => admit(fixture.limiters[index % fixture.limiters.length]!)),
      );
      const refused = decisions.filter((decision) => !decision.allowed);
      return { allowed: count - refused.length, refused };
    }

    async function calls(key: KeyRef, limits: CallLimits, count: number): Promise<LimitDecision[]> {
      const decisions: LimitDecision[] = [];
      for (let index = 0; index < count; index++) decisions.push(await limiter.admitCall(key, limits));
      return decisions;
    }

    describe('exact under concurrency', () => {
      it('passes exactly 50 of 200 concurrent calls against a rate limit of 50', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const { allowed, refused } = await race(200, (one) => one.admitCall(key, { rateLimit: { requests: 50, windowSeconds: 60 } }));
        expect(allowed).toBe(50);
        expect(refused.every((decision) => !decision.allowed && decision.reason === 'rate_limited')).toBe(true);
      });

      it('passes exactly 50 of 200 concurrent calls against a daily quota of 50', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const { allowed, refused } = await race(200, (one) => one.admitCall(key, { quota: { requests: 50, period: 'day' } }));
        expect(allowed).toBe(50);
        expect(refused.every((decision) => !decision.allowed && decision.reason === 'quota_exceeded')).toBe(true);
      });

      it('passes exactly the smaller budget when a rate limit and a quota race together', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const limits: CallLimits = { rateLimit: { requests: 50, windowSeconds: 60 }, quota: { requests: 30, period: 'month' } };
        const { allowed } = await race(200, (one) => one.admitCall(key, limits));
        expect(allowed).toBe(30);
        // Nothing refused was counted: the rate budget holds exactly the 30 calls that passed.
        const after = await limiter.admitCall(key, { rateLimit: limits.rateLimit });
        expect(policy(after, 'rate')?.remaining).toBe(50 - 30 - 1);
      });

      it('passes exactly 50 of 200 concurrent mints against a token rate limit of 50', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const { allowed, refused } = await race(200, (one) => one.admitMint(key, { requests: 50, windowSeconds: 60 }));
        expect(allowed).toBe(50);
        expect(refused[0]).toMatchObject({ allowed: false, reason: 'rate_limited' });
      });
    });

    describe('rate limits (GCRA)', () => {
      const rateLimit = { requests: 5, windowSeconds: 10 };

      it('allow a burst of the whole budget, then one call per window ÷ requests', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        expect((await calls(key, { rateLimit }, 6)).map((decision) => decision.allowed)).toEqual([true, true, true, true, true, false]);
        fixture.clock.advance(1999);
        expect((await limiter.admitCall(key, { rateLimit })).allowed).toBe(false);
        fixture.clock.advance(1);
        expect((await limiter.admitCall(key, { rateLimit })).allowed).toBe(true);
        expect((await limiter.admitCall(key, { rateLimit })).allowed).toBe(false);
      });

      it('give the whole burst back once a window has passed unused', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        await calls(key, { rateLimit }, 6);
        fixture.clock.advance(10_000);
        expect((await calls(key, { rateLimit }, 6)).map((decision) => decision.allowed)).toEqual([true, true, true, true, true, false]);
      });

      it('report the budget left and the seconds until it grows, and Retry-After when refused', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const limits = { rateLimit: { requests: 50, windowSeconds: 60 } };
        const first = await limiter.admitCall(key, limits);
        // One call's share of the window is 1.2 s: one more unit accrues 1.2 s after the first call.
        expect(first).toEqual({
          allowed: true,
          policies: [{ policy: 'rate', limit: 50, windowSeconds: 60, remaining: 49, resetSeconds: 2 }],
        });
        const rest = await calls(key, limits, 49);
        expect(policy(rest[48]!, 'rate')).toMatchObject({ remaining: 0, resetSeconds: 2 });
        fixture.clock.advance(500);
        const refused = await limiter.admitCall(key, limits);
        expect(refused).toEqual({
          allowed: false,
          reason: 'rate_limited',
          retryAfterSeconds: 1,
          policies: [{ policy: 'rate', limit: 50, windowSeconds: 60, remaining: 0, resetSeconds: 1 }],
        });
        fixture.clock.advance(700);
        expect(await limiter.admitCall(key, limits)).toMatchObject({ allowed: true, policies: [{ remaining: 0 }] });
      });

      it('report a whole budget with no wait when nothing was counted', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const limits: CallLimits = { rateLimit: { requests: 3, windowSeconds: 60 }, quota: { requests: 1, period: 'day' } };
        await limiter.admitCall(key, { quota: limits.quota });
        expect(policy(await limiter.admitCall(key, limits), 'rate')).toEqual({
          policy: 'rate',
          limit: 3,
          windowSeconds: 60,
          remaining: 3,
          resetSeconds: 0,
        });
      });

      it('keep calls and mints of one key, keys, and environments apart', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const one = { requests: 1, windowSeconds: 60 };
        expect((await limiter.admitCall(key, { rateLimit: one })).allowed).toBe(true);
        expect((await limiter.admitCall(key, { rateLimit: one })).allowed).toBe(false);
        expect((await limiter.admitMint(key, one)).allowed).toBe(true);
        expect((await limiter.admitCall({ ...key, environment: 'production' }, { rateLimit: one })).allowed).toBe(true);
        expect((await limiter.admitCall(freshKey(), { rateLimit: one })).allowed).toBe(true);
        expect((await limiter.admitMint(key, one)).allowed).toBe(false);
      });
    });

    describe('quotas (UTC calendar periods)', () => {
      it('roll over at UTC midnight', async () => {
        fixture.clock.set('2026-12-02T23:59:59.500Z');
        const key = freshKey();
        const limits: CallLimits = { quota: { requests: 3, period: 'day' } };
        const passed = await calls(key, limits, 3);
        expect(passed.every((decision) => decision.allowed)).toBe(true);
        expect(policy(passed[2]!, 'quota')).toEqual({ policy: 'quota', limit: 3, windowSeconds: 86_400, remaining: 0, resetSeconds: 1 });
        expect(await limiter.admitCall(key, limits)).toMatchObject({ allowed: false, reason: 'quota_exceeded', retryAfterSeconds: 1 });
        fixture.clock.set('2026-12-03T00:00:00.000Z');
        const next = await limiter.admitCall(key, limits);
        expect(next.allowed).toBe(true);
        expect(policy(next, 'quota')).toMatchObject({ remaining: 2, resetSeconds: 86_400 });
      });

      it('roll over at the start of a UTC month, whatever its length', async () => {
        fixture.clock.set('2027-02-28T12:00:00Z');
        const key = freshKey();
        const limits: CallLimits = { quota: { requests: 2, period: 'month' } };
        const [first] = await calls(key, limits, 2);
        expect(policy(first!, 'quota')).toMatchObject({ windowSeconds: 28 * 86_400, remaining: 1, resetSeconds: 12 * 3600 });
        expect(await limiter.admitCall(key, limits)).toMatchObject({ allowed: false, retryAfterSeconds: 12 * 3600 });
        fixture.clock.set('2027-02-28T23:59:59.999Z');
        expect((await limiter.admitCall(key, limits)).allowed).toBe(false);
        fixture.clock.set('2027-03-01T00:00:00Z');
        const march = await limiter.admitCall(key, limits);
        expect(march.allowed).toBe(true);
        expect(policy(march, 'quota')).toMatchObject({ windowSeconds: 31 * 86_400, remaining: 1 });
      });

      it('cost nothing when the rate limit refuses, and outrank it when both are spent', async () => {
        fixture.clock.set('2026-12-02T10:00:00Z');
        const key = freshKey();
        const limits: CallLimits = { rateLimit: { requests: 2, windowSeconds: 60 }, quota: { requests: 3, period: 'day' } };
        await calls(key, limits, 2);
        const refused = await limiter.admitCall(key, limits);
        expect(refused).toMatchObject({ allowed: false, reason: 'rate_limited', retryAfterSeconds: 30 });
        expect(policy(refused, 'quota')?.remaining).toBe(1);
        fixture.clock.advance(30_000);
        expect(policy(await limiter.admitCall(key, limits), 'quota')?.remaining).toBe(0);
        const spent = await limiter.admitCall(key, limits);
        // Both are spent; waiting 30 s for the rate would not help, so the quota's answer (till midnight) wins.
        expect(spent).toMatchObject({ allowed: false, reason: 'quota_exceeded', retryAfterSeconds: 14 * 3600 - 30 });
      });
    });

    it('allows without counting when the key has no limits', async () => {
      const decision = await limiter.admitCall(freshKey(), {});
      expect(decision).toEqual({ allowed: true, policies: [] });
    });
  });
}
