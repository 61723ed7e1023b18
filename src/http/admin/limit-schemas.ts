// A key's limits on the admin API (SPEC §7): `rateLimit`, `quota` and `tokenRateLimit`, bounded by LIMIT_BOUNDS.
import * as z from 'zod';
import { LIMIT_BOUNDS } from '../../ports/key-limiter.js';

const whole = (bounds: { min: number; max: number }) => z.number().int().min(bounds.min).max(bounds.max);

export const rateLimitSchema = z
  .strictObject({ requests: whole(LIMIT_BOUNDS.rateRequests), windowSeconds: whole(LIMIT_BOUNDS.windowSeconds) })
  .meta({
    id: 'RateLimit',
    description:
      'GCRA: a burst of up to `requests` calls, refilled at one every `windowSeconds / requests` seconds (at most 2 × requests − 1 in any window)',
  });

export const quotaSchema = z
  .strictObject({ requests: whole(LIMIT_BOUNDS.quotaRequests), period: z.enum(['day', 'month']) })
  .meta({ id: 'Quota', description: 'At most `requests` proxied calls per UTC calendar day or month' });

const described = {
  rateLimit: 'Proxied calls (session tokens and Api-Key together); null: none',
  quota: 'Proxied calls per UTC day or month; null: none',
  tokenRateLimit: 'Tokens the token endpoint answers for this key; null: none',
} as const;

/** The three limits as a key shows them, and as create (default: none) and PATCH (`null` removes one) take them. */
export const keyLimitFields = {
  rateLimit: rateLimitSchema.nullable().meta({ description: described.rateLimit }),
  quota: quotaSchema.nullable().meta({ description: described.quota }),
  tokenRateLimit: rateLimitSchema.nullable().meta({ description: described.tokenRateLimit }),
};
