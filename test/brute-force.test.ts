// Brute force: the per-IP limit, and the same limit guarding introspection, revocation and the proxy's Api-Key.
import { afterEach, describe, expect, it } from 'vitest';
import { generateApplicationSecret } from '../src/core/secrets.js';
import { basic, startGateway, type Gateway } from './support/gateway.js';
import { startUpstream, type Upstream } from './support/upstream.js';

describe('brute-force limits', () => {
  let gateway: Gateway;
  let upstream: Upstream | undefined;
  afterEach(async () => {
    await gateway.close();
    await upstream?.close();
    upstream = undefined;
  });

  it('limits failures per client IP across client_ids', async () => {
    gateway = await startGateway({ env: { KEYMINT_AUTH_FAILURES_PER_IP: '4', KEYMINT_AUTH_FAILURES_PER_CLIENT: '100' } });
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox' });
    // Four different guessed client_ids from one address…
    for (let i = 0; i < 4; i++) {
      const response = await gateway.exchange('sandbox', `app_sbx_guess${i}`, key.applicationSecret);
      expect(response.status).toBe(401);
    }
    // …and the fifth attempt from it is refused before any check, whatever it carries.
    const limited = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: 'slow_down' });
    // Environments count separately: production from the same address is untouched.
    const production = await gateway.createKey(account.id, { environment: 'production' });
    expect((await gateway.exchange('production', production.applicationId, production.applicationSecret)).status).toBe(200);
  });

  it('behind a trusted reverse proxy, counts per X-Forwarded-For address, ignoring what the client prepends', async () => {
    gateway = await startGateway({
      env: { KEYMINT_TRUSTED_PROXIES: '1', KEYMINT_AUTH_FAILURES_PER_IP: '2', KEYMINT_AUTH_FAILURES_PER_CLIENT: '100' },
    });
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox' });
    const from = (forwardedFor: string, secret: string) =>
      gateway.fetch('/sandbox/oauth/token', {
        method: 'POST',
        headers: {
          authorization: basic(key.applicationId, secret),
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': forwardedFor,
        },
        body: 'grant_type=client_credentials',
      });
    const wrong = key.applicationSecret.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    expect((await from('203.0.113.7', wrong)).status).toBe(401);
    // A spoofed left-hand entry does not give the attacker a fresh budget.
    expect((await from('198.51.100.1, 203.0.113.7', wrong)).status).toBe(401);
    expect((await from('198.51.100.2, 203.0.113.7', key.applicationSecret)).status).toBe(429);
    // Another client behind the same proxy is not slowed.
    expect((await from('203.0.113.8', key.applicationSecret)).status).toBe(200);
  });

  it('guards introspection and revocation with the same per-client limit', async () => {
    gateway = await startGateway({ env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: '2' } });
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox' });
    const other = await gateway.createKey(account.id, { environment: 'sandbox' });
    const token = await gateway.mint('sandbox', key);
    const call = (endpoint: string, secret: string) =>
      gateway.fetch(`/sandbox/oauth/${endpoint}`, {
        method: 'POST',
        headers: { authorization: basic(key.applicationId, secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
    expect((await call('introspect', other.applicationSecret)).status).toBe(401);
    expect((await call('revoke', other.applicationSecret)).status).toBe(401);
    const introspection = await call('introspect', key.applicationSecret);
    const revocation = await call('revoke', key.applicationSecret);
    expect([introspection.status, revocation.status]).toEqual([429, 429]);
    expect(revocation.headers.get('retry-after')).not.toBeNull();
    // The other key, failing nothing, is not slowed.
    expect((await gateway.exchange('sandbox', other.applicationId, other.applicationSecret)).status).toBe(200);
  });

  it("limits wrong Api-Key secrets on the proxy per client IP, counting with the token endpoint's failures", async () => {
    upstream = await startUpstream();
    gateway = await startGateway({
      env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url, KEYMINT_AUTH_FAILURES_PER_IP: '3', KEYMINT_AUTH_FAILURES_PER_CLIENT: '100' },
    });
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox' });
    const token = await gateway.mint('sandbox', key);
    const apiKey = (secret: string) => gateway.fetch('/sandbox/api/orders', { headers: { 'api-key': secret } });
    // Well-formed guesses (valid checksum, right environment) pass every check that needs no read, as an attacker's would.
    for (let i = 0; i < 3; i++) {
      const guess = await apiKey(generateApplicationSecret('sandbox'));
      expect(guess.status).toBe(401);
      expect(await guess.json()).toMatchObject({ error: 'invalid_token', error_description: 'the API key is not valid' });
    }
    // The fourth call from this address is refused before any check, even with the real secret, in either header form.
    const limited = await apiKey(key.applicationSecret);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: 'slow_down' });
    const asAuthorization = await gateway.fetch('/sandbox/api/orders', { headers: { authorization: `Api-Key ${key.applicationSecret}` } });
    expect(asAuthorization.status).toBe(429);
    // The same per-IP counter guards the token endpoint; a session token, which cannot be guessed, still passes.
    expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(429);
    const withToken = await gateway.fetch('/sandbox/api/orders', { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(200);
    expect(upstream.seen).toHaveLength(1);
  });
});
