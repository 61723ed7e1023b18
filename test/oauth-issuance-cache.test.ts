// SPEC §2 issuance cache: a repeated exchange reuses a token while at least half its lifetime is left.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { createTestClock, type TestClock } from './support/oauth-calls.js';

describe('issuance cache (on by default)', () => {
  let gateway: Gateway;
  let clock: TestClock;
  let key: ApiKeyWithSecret;
  beforeAll(async () => {
    // Frozen: expires_in is counted in whole seconds, and real time crossing a second would make it one less.
    clock = createTestClock({ frozen: true });
    gateway = await startGateway({ clock });
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a', 'b'] });
  });
  afterAll(() => gateway.close());

  it('returns the same token for the same key and scope', async () => {
    const first = await gateway.mint('sandbox', key, 'a');
    const second = await gateway.mint('sandbox', key, 'a');
    expect(second).toBe(first);
  });

  it('counts expires_in down on a reused token', async () => {
    const first = (await (await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'b' })).json()) as {
      access_token: string;
      expires_in: number;
    };
    clock.advance(600);
    const second = (await (await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'b' })).json()) as {
      access_token: string;
      expires_in: number;
    };
    expect(second.access_token).toBe(first.access_token);
    expect(second.expires_in).toBe(first.expires_in - 600);
  });

  it('does not reuse a token across different scopes', async () => {
    const narrow = await gateway.mint('sandbox', key, 'a');
    const wide = await gateway.mint('sandbox', key, 'a b');
    expect(wide).not.toBe(narrow);
  });

  it('mints a new token once the cached one has passed half its lifetime', async () => {
    const response = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'a' });
    const first = (await response.json()) as { access_token: string; expires_in: number };
    clock.advance(first.expires_in / 2 + 1);
    const second = await gateway.mint('sandbox', key, 'a');
    expect(second).not.toBe(first.access_token);
  });
});

describe('issuance cache turned off', () => {
  it('mints a new token on every exchange with KEYMINT_ISSUANCE_CACHE=false', async () => {
    const gateway = await startGateway({ env: { KEYMINT_ISSUANCE_CACHE: 'false' } });
    try {
      const account = await gateway.createAccount();
      const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
      const first = await gateway.mint('sandbox', key, 'a');
      const second = await gateway.mint('sandbox', key, 'a');
      expect(second).not.toBe(first);
    } finally {
      await gateway.close();
    }
  });
});
