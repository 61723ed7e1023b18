import { describe, expect, it } from 'vitest';
import { MemoryKeyLimiter } from '../adapters/memory/memory-key-limiter.js';
import { createManualClock } from '../ports/testing/manual-clock.js';
import { limitHeaders, rateLimitFields } from './rate-limit-fields.js';

describe('RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11)', () => {
  it('list each budget as a Structured Field String item with its parameters', () => {
    expect(
      rateLimitFields([
        { policy: 'rate', limit: 50, windowSeconds: 60, remaining: 12, resetSeconds: 2 },
        { policy: 'quota', limit: 10_000, windowSeconds: 86_400, remaining: 9000, resetSeconds: 3600 },
      ]),
    ).toEqual({
      'RateLimit-Policy': '"rate";q=50;w=60, "quota";q=10000;w=86400',
      RateLimit: '"rate";r=12;t=2, "quota";r=9000;t=3600',
    });
  });

  it('leave t out while a budget is whole, and say nothing for a key without limits', () => {
    expect(rateLimitFields([{ policy: 'token-rate', limit: 5, windowSeconds: 60, remaining: 5, resetSeconds: 0 }])).toEqual({
      'RateLimit-Policy': '"token-rate";q=5;w=60',
      RateLimit: '"token-rate";r=5',
    });
    expect(rateLimitFields([])).toEqual({});
  });

  it('follow the limiter through a burst and its refusal, adding Retry-After only to the refusal', async () => {
    const clock = createManualClock('2026-12-02T23:00:00Z');
    const limiter = new MemoryKeyLimiter(clock);
    const key = { environment: 'sandbox' as const, keyId: 'key_headers' };
    const limits = { rateLimit: { requests: 2, windowSeconds: 10 }, quota: { requests: 100, period: 'day' as const } };
    expect(limitHeaders(await limiter.admitCall(key, limits))).toEqual({
      'RateLimit-Policy': '"rate";q=2;w=10, "quota";q=100;w=86400',
      RateLimit: '"rate";r=1;t=5, "quota";r=99;t=3600',
    });
    await limiter.admitCall(key, limits);
    expect(limitHeaders(await limiter.admitCall(key, limits))).toEqual({
      'RateLimit-Policy': '"rate";q=2;w=10, "quota";q=100;w=86400',
      RateLimit: '"rate";r=0;t=5, "quota";r=98;t=3600',
      'Retry-After': '5',
    });
  });
});
