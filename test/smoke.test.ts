import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';

describe('a running gateway', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  it('exchanges a new key for a token that introspects as active', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
    const token = await gateway.mint('sandbox', key);
    const response = await gateway.fetch('/sandbox/oauth/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: key.applicationId, client_secret: key.applicationSecret, token }),
    });
    expect(await response.json()).toMatchObject({ active: true, scope: 'a', client_id: key.applicationId });
  });
});
