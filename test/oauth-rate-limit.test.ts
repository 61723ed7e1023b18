// SPEC §2 rate limit on failed client authentication, per client_id, in the session store (Redis; in process
// in the node-memory project).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { postForm } from './support/oauth-calls.js';

const LIMIT = 3;

describe('failed client authentication is rate-limited per client_id', () => {
  let gateway: Gateway;
  let limited: ApiKeyWithSecret;
  let bystander: ApiKeyWithSecret;
  beforeAll(async () => {
    gateway = await startGateway({ env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: String(LIMIT) } });
    const account = await gateway.createAccount();
    limited = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    bystander = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    // The bystander's (valid, checksummed) secret is the wrong secret for `limited`.
    for (let attempt = 0; attempt < LIMIT; attempt++) {
      const response = await gateway.exchange('sandbox', limited.applicationId, bystander.applicationSecret);
      expect(response.status).toBe(401);
    }
  });
  afterAll(() => gateway.close());

  it('answers 429 with Retry-After and an RFC 6749 error body once the limit is reached', async () => {
    const response = await gateway.exchange('sandbox', limited.applicationId, bystander.applicationSecret);
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: expect.any(String), error_description: expect.any(String) });
  });

  it('keeps refusing the limited client_id even with its right secret until the window passes', async () => {
    const response = await gateway.exchange('sandbox', limited.applicationId, limited.applicationSecret);
    expect(response.status).toBe(429);
  });

  it.each(['introspect', 'revoke'] as const)('refuses the limited client_id on /oauth/%s too, right secret or not', async (endpoint) => {
    const token = await gateway.mint('sandbox', bystander);
    for (const secret of [limited.applicationSecret, bystander.applicationSecret]) {
      const response = await postForm(gateway, 'sandbox', endpoint, { token }, { applicationId: limited.applicationId, applicationSecret: secret });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await response.json()).toMatchObject({ error: expect.any(String) });
    }
    // Nothing was revoked on the limited client's behalf.
    const check = await postForm(gateway, 'sandbox', 'introspect', { token }, bystander);
    expect(await check.json()).toMatchObject({ active: true });
  });

  it('does not affect another client_id', async () => {
    const response = await gateway.exchange('sandbox', bystander.applicationId, bystander.applicationSecret);
    expect(response.status).toBe(200);
  });
});
