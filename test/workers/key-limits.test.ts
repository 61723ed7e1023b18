// SPEC §7 / §10 on Workers: a key's tokenRateLimit is counted in the key's Durable Object, one place for every
// isolate and location (issue 18), so a burst of mints passes exactly the budget.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DurableNamespaceLike } from '../../src/adapters/workers/durable-object.js';
import { DurableObjectKeyLimiter } from '../../src/adapters/workers/key-limit-object.js';
import { systemClock } from '../../src/ports/runtime.js';
import { admin, createAccount, exchange, type KeyWithSecret } from './support/worker-client.js';

describe('per-key limits inside workerd', () => {
  let key: KeyWithSecret;
  const tokenRateLimit = { requests: 10, windowSeconds: 3600 };

  beforeAll(async () => {
    const account = await createAccount('Metered');
    const created = await admin('POST', `/accounts/${account.id}/keys`, {
      environment: 'sandbox',
      name: 'metered minter',
      tokenRateLimit,
    });
    expect(created.status).toBe(201);
    key = (await created.json()) as KeyWithSecret;
  });

  it('mints exactly 10 of 40 concurrent token requests against a token rate limit of 10, in the key’s object', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => exchange('sandbox', key.applicationId, key.applicationSecret)),
    );
    const statuses = responses.map(({ status }) => status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
    const refused = responses.find(({ status }) => status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()) as Record<string, unknown>).toMatchObject({ error: expect.any(String) });
    await Promise.all(responses.filter((response) => response !== refused).map((response) => response.body?.cancel()));

    // Another isolate (here: another limiter over the same binding) sees the budget the Worker spent.
    const elsewhere = new DurableObjectKeyLimiter(env.KEY_LIMITS as unknown as DurableNamespaceLike, { clock: systemClock });
    expect(await elsewhere.admitMint({ environment: 'sandbox', keyId: key.id }, tokenRateLimit)).toMatchObject({
      allowed: false,
      reason: 'rate_limited',
    });
  });
});
