// SPEC §2 / §10 on Workers: the failed-authentication limit per client_id is exact under a burst, because its
// counter lives in a Durable Object that admits at most `limit` attempts under way (issue 18).
import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createKey, exchange, type KeyWithSecret } from './support/worker-client.js';

describe('the failure limit inside workerd', () => {
  let key: KeyWithSecret;
  let other: KeyWithSecret;

  beforeAll(async () => {
    const account = await createAccount('Burst');
    key = await createKey(account.id, { environment: 'sandbox' });
    other = await createKey(account.id, { environment: 'sandbox' });
  });

  it('answers exactly 10 of 50 concurrent wrong secrets 401, the rest 429, and then refuses the right secret', async () => {
    // A well-formed secret of this environment that is not this key's: checked against the key, and wrong.
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => exchange('sandbox', key.applicationId, other.applicationSecret)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40);
    for (const response of responses.filter(({ status }) => status === 429)) {
      expect((await response.json()) as Record<string, unknown>).toMatchObject({ error: 'slow_down' });
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    await Promise.all(responses.filter(({ status }) => status !== 429).map((response) => response.body?.cancel()));

    const right = await exchange('sandbox', key.applicationId, key.applicationSecret);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(50);
    // The other key's counter is its own.
    expect((await exchange('sandbox', other.applicationId, other.applicationSecret)).status).toBe(200);
  });

  it('lets 50 concurrent right secrets through, more at once than the limit', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => exchange('sandbox', other.applicationId, other.applicationSecret)));
    expect(responses.map(({ status }) => status)).toEqual(Array(50).fill(200));
  });
});
