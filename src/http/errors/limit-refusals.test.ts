import { describe, expect, it } from 'vitest';
import { MemoryKeyLimiter } from '../../adapters/memory/memory-key-limiter.js';
import type { CallLimits, LimitDecision } from '../../ports/key-limiter.js';
import { createManualClock } from '../../ports/testing/manual-clock.js';
import { callRefused, mintRefusal, type RefusedDecision } from './limit-refusals.js';

const key = { environment: 'production' as const, keyId: 'key_refusals' };

async function refusedCall(limits: CallLimits, calls: number): Promise<RefusedDecision> {
  const limiter = new MemoryKeyLimiter(createManualClock('2026-12-02T22:00:00Z'));
  let decision: LimitDecision | undefined;
  for (let call = 0; call < calls; call++) decision = await limiter.admitCall(key, limits);
  if (!decision || decision.allowed) throw new Error('the last call was not refused');
  return decision;
}

describe('the proxy’s 429', () => {
  it('is rate_limited problem JSON with Retry-After and the RateLimit fields', async () => {
    const response = callRefused(await refusedCall({ rateLimit: { requests: 3, windowSeconds: 60 } }, 4)).toResponse();
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('retry-after')).toBe('20');
    expect(response.headers.get('ratelimit-policy')).toBe('"rate";q=3;w=60');
    expect(response.headers.get('ratelimit')).toBe('"rate";r=0;t=20');
    expect(await response.json()).toEqual({
      type: 'urn:keymint:problem:rate_limited',
      title: 'Too many requests',
      status: 429,
      detail: 'this key may make 3 calls per 60 s; try again in 20 s',
      code: 'rate_limited',
      'violated-policies': ['rate'],
    });
  });

  it('is quota_exceeded problem JSON naming the period and when it renews', async () => {
    const limits: CallLimits = { rateLimit: { requests: 10, windowSeconds: 1 }, quota: { requests: 2, period: 'day' } };
    const response = callRefused(await refusedCall(limits, 3)).toResponse();
    expect(response.headers.get('retry-after')).toBe('7200');
    expect(response.headers.get('ratelimit')).toBe('"rate";r=8;t=1, "quota";r=0;t=7200');
    expect(await response.json()).toMatchObject({
      type: 'urn:keymint:problem:quota_exceeded',
      title: 'Quota exceeded',
      code: 'quota_exceeded',
      detail: 'this key has used its quota of 2 calls for this UTC day; it renews in 7200 s',
      'violated-policies': ['quota'],
    });
    const monthly = await callRefused(await refusedCall({ quota: { requests: 1, period: 'month' } }, 2)).toResponse().json();
    expect(monthly).toMatchObject({ detail: 'this key has used its quota of 1 calls for this UTC month; it renews in 2512800 s' });
  });
});

describe('the token endpoint’s 429', () => {
  it('is slow_down in RFC 6749 JSON with Retry-After', async () => {
    const limiter = new MemoryKeyLimiter(createManualClock('2026-12-02T22:00:00Z'));
    await limiter.admitMint(key, { requests: 1, windowSeconds: 30 });
    const decision = await limiter.admitMint(key, { requests: 1, windowSeconds: 30 });
    if (decision.allowed) throw new Error('the second mint was allowed');
    const response = mintRefusal(decision).toResponse();
    expect(response.status).toBe(429);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('retry-after')).toBe('30');
    expect(response.headers.get('ratelimit')).toBe('"token-rate";r=0;t=30');
    expect(await response.json()).toEqual({
      error: 'slow_down',
      error_description: 'this key may mint 1 tokens per 30 s; try again in 30 s',
    });
  });
});
