// Client authentication as one use case: which counters each method is charged against, and the limit in front.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KeyRecord, KeyStore } from '../ports/key-store.js';
import type { FailureCounter, RateLimiter } from '../ports/rate-limiter.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import { createClientAuthenticator, type ClientCredential } from './client-auth.js';
import { createFailureLimit } from './failure-limit.js';
import { createSecretHasher, generateApplicationId, generateApplicationSecret } from './secrets.js';

/** A fixed-window limiter in a map, recording what it was asked. */
function countingLimiter() {
  const counts = new Map<string, number>();
  const recorded: Array<{ keys: string[]; windowSeconds: number }> = [];
  const limiter: RateLimiter = {
    async retryAfter(counters: readonly FailureCounter[]) {
      return counters.some(({ key, limit }) => (counts.get(key) ?? 0) >= limit) ? 42 : 0;
    },
    async recordFailure(keys, windowSeconds) {
      recorded.push({ keys, windowSeconds });
      for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    async admit(counters, { windowSeconds }) {
      if (await limiter.retryAfter(counters)) return { admitted: false, retryAfter: 42 };
      return { admitted: true, place: { id: 'place', keys: counters.map(({ key }) => key), windowSeconds } };
    },
    async release(place, failed) {
      if (failed) await limiter.recordFailure(place.keys, place.windowSeconds);
    },
  };
  return { limiter, recorded };
}

/** A key and its secret behind the authenticator; `limiter` replaces the counting one. */
async function setUp(limiter?: RateLimiter) {
  const hasher = await createSecretHasher('p'.repeat(32));
  const secret = generateApplicationSecret('sandbox');
  const key = {
    id: 'key_1',
    applicationId: generateApplicationId('sandbox'),
    environment: 'sandbox',
    status: 'active',
    expiresAt: null,
    secretHash: await hasher.hash(secret),
    authMethod: 'client_secret',
  } as KeyRecord;
  const reads = { byApplicationId: 0, bySecretHash: 0 };
  const keys = {
    findKeyByApplicationId: async (id: string) => (reads.byApplicationId++, id === key.applicationId ? { key, pair: 'current' } : null),
    findKeyBySecretHash: async (hash: string) => (reads.bySecretHash++, hash === key.secretHash ? { key, pair: 'current' } : null),
  } as unknown as KeyStore;
  const counting = countingLimiter();
  const clients = createClientAuthenticator({
    keys,
    hasher,
    clock: { now: () => 0 },
    failures: createFailureLimit({ limiter: limiter ?? counting.limiter, windowSeconds: 60, admission: 'bounded' }),
    limits: { perClient: 2, perIp: 3 },
  });
  return { clients, key, secret, reads, recorded: counting.recorded };
}

describe('client authentication', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    '%s: a wrong secret is counted against the application ID and the IP, in a 60 s window',
    async (method) => {
      const { clients, key, recorded } = await setUp();
      const credential: ClientCredential = { method, clientId: key.applicationId, secret: generateApplicationSecret('sandbox') };
      expect(await clients.authenticate('sandbox', credential, { ip: '203.0.113.9' })).toMatchObject({ ok: false, reason: 'wrong_secret' });
      expect(recorded).toEqual([
        { keys: [`sandbox:authfail:client:${key.applicationId}`, 'sandbox:authfail:ip:203.0.113.9'], windowSeconds: 60 },
      ]);
    },
  );

  it('an Api-Key failure is counted per IP only: the secret names no application ID', async () => {
    const { clients, recorded } = await setUp();
    const refused = await clients.authenticate('sandbox', { method: 'api_key', secret: generateApplicationSecret('sandbox') }, { ip: '203.0.113.9' });
    expect(refused).toMatchObject({ ok: false, reason: 'unknown_client' });
    expect(recorded).toEqual([{ keys: ['sandbox:authfail:ip:203.0.113.9'], windowSeconds: 60 }]);
  });

  it('at the limit, refuses the right secret too, without reading a key', async () => {
    const { clients, key, secret, reads, recorded } = await setUp();
    const apiKey = (value: string) => clients.authenticate('sandbox', { method: 'api_key', secret: value }, { ip: '203.0.113.9' });
    for (let i = 0; i < 3; i++) await apiKey(generateApplicationSecret('sandbox'));
    const readsBefore = { ...reads };
    expect(await apiKey(secret)).toEqual({ ok: false, reason: 'rate_limited', retryAfter: 42 });
    const basic = { method: 'client_secret_basic', clientId: key.applicationId, secret } as const;
    expect(await clients.authenticate('sandbox', basic, { ip: '203.0.113.9' })).toMatchObject({ reason: 'rate_limited' });
    expect(reads).toEqual(readsBefore);
    // Another address is not slowed, and its success counts nothing.
    expect(await clients.authenticate('sandbox', basic, { ip: '198.51.100.4' })).toMatchObject({ ok: true, value: { id: 'key_1' } });
    expect(recorded).toHaveLength(3);
  });

  it('the per-client limit holds across addresses', async () => {
    const { clients, key, secret } = await setUp();
    const from = (ip: string, value: string) =>
      clients.authenticate('sandbox', { method: 'client_secret_post', clientId: key.applicationId, secret: value }, { ip });
    await from('198.51.100.1', generateApplicationSecret('sandbox'));
    await from('198.51.100.2', generateApplicationSecret('sandbox'));
    expect(await from('198.51.100.3', secret)).toMatchObject({ ok: false, reason: 'rate_limited' });
  });

  it('refuses an application ID no key can have (empty, over 128 characters) without counting it', async () => {
    const { clients, secret, recorded } = await setUp();
    for (const clientId of ['', `app_sbx_${'x'.repeat(121)}`]) {
      const credential = { method: 'client_secret_basic', clientId, secret } as const;
      expect(await clients.authenticate('sandbox', credential, { ip: '203.0.113.9' })).toEqual({ ok: false, reason: 'unknown_client' });
    }
    expect(recorded).toEqual([]);
  });

  it('without a known address, counts the application ID alone', async () => {
    const { clients, key, recorded } = await setUp();
    const credential = { method: 'client_secret_post', clientId: key.applicationId, secret: 'sk_sbx_typo' } as const;
    expect(await clients.authenticate('sandbox', credential, { ip: undefined })).toMatchObject({ reason: 'malformed_secret' });
    expect(recorded).toEqual([{ keys: [`sandbox:authfail:client:${key.applicationId}`], windowSeconds: 60 }]);
  });

  it('while the counters cannot be reached, an Api-Key is checked unlimited; a client secret meets the outage', async () => {
    const down = () => Promise.reject(new StoreUnavailableError('redis', 'connection refused'));
    const { clients, key, secret } = await setUp({ retryAfter: down, recordFailure: down, admit: down, release: down });
    const origin = { ip: '203.0.113.9' };
    expect(await clients.authenticate('sandbox', { method: 'api_key', secret }, origin)).toMatchObject({ ok: true });
    const guess = { method: 'api_key', secret: generateApplicationSecret('sandbox') } as const;
    expect(await clients.authenticate('sandbox', guess, origin)).toMatchObject({ ok: false, reason: 'unknown_client' });
    const basic = { method: 'client_secret_basic', clientId: key.applicationId, secret } as const;
    await expect(clients.authenticate('sandbox', basic, origin)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('during a roll with overlap, the previous pair authenticates until its end, then is unknown', async () => {
    const hasher = await createSecretHasher('p'.repeat(32));
    const [secret, previousSecret] = [generateApplicationSecret('sandbox'), generateApplicationSecret('sandbox')];
    const key = {
      id: 'key_1',
      applicationId: generateApplicationId('sandbox'),
      environment: 'sandbox',
      status: 'active',
      expiresAt: null,
      secretHash: await hasher.hash(secret),
      previous: {
        applicationId: generateApplicationId('sandbox'),
        secretHash: await hasher.hash(previousSecret),
        secretHint: previousSecret.slice(-4),
        expiresAt: 1_000,
        lastUsedAt: null,
      },
    } as KeyRecord;
    const match = (value: string, current: string, previous: string) =>
      value === current ? { key, pair: 'current' } : value === previous ? { key, pair: 'previous' } : null;
    const keys = {
      findKeyByApplicationId: async (id: string) => match(id, key.applicationId, key.previous!.applicationId),
      findKeyBySecretHash: async (hash: string) => match(hash, key.secretHash!, key.previous!.secretHash),
    } as unknown as KeyStore;
    let now = 999;
    const clients = createClientAuthenticator({
      keys,
      hasher,
      clock: { now: () => now },
      failures: createFailureLimit({ limiter: countingLimiter().limiter, windowSeconds: 60, admission: 'bounded' }),
      limits: { perClient: 100, perIp: 100 },
    });
    const origin = { ip: '203.0.113.9' };
    const basic = (clientId: string, value: string) =>
      clients.authenticate('sandbox', { method: 'client_secret_basic', clientId, secret: value }, origin);
    const apiKey = (value: string) => clients.authenticate('sandbox', { method: 'api_key', secret: value }, origin);

    // …saying it was the previous pair that proved it (for that pair's own lastUsedAt).
    expect(await basic(key.previous!.applicationId, previousSecret)).toEqual({ ok: true, value: { ...key, pair: 'previous' } });
    expect(await apiKey(previousSecret)).toEqual({ ok: true, value: { ...key, pair: 'previous' } });
    // Each pair's secret belongs to its own application ID.
    expect(await basic(key.previous!.applicationId, secret)).toMatchObject({ ok: false, reason: 'wrong_secret' });
    expect(await basic(key.applicationId, previousSecret)).toMatchObject({ ok: false, reason: 'wrong_secret' });

    now = 1_000;
    expect(await basic(key.previous!.applicationId, previousSecret)).toMatchObject({ ok: false, reason: 'unknown_client' });
    expect(await apiKey(previousSecret)).toMatchObject({ ok: false, reason: 'unknown_client' });
    // The current pair is unaffected.
    expect(await basic(key.applicationId, secret)).toEqual({ ok: true, value: key });
    expect(await apiKey(secret)).toEqual({ ok: true, value: key });
  });
});

describe('private_key_jwt', () => {
  const ISSUER = 'https://keymint.test/sandbox';
  const context = { ip: '203.0.113.9', audiences: [ISSUER, `${ISSUER}/oauth/token`] };

  async function setUpAssertions() {
    const hasher = await createSecretHasher('p'.repeat(32));
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const byJwt = {
      id: 'key_jwt',
      applicationId: generateApplicationId('sandbox'),
      environment: 'sandbox',
      status: 'active',
      expiresAt: null,
      secretHash: null,
      authMethod: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }] },
    } as unknown as KeyRecord;
    const secret = generateApplicationSecret('sandbox');
    const bySecret = {
      id: 'key_secret',
      applicationId: generateApplicationId('sandbox'),
      environment: 'sandbox',
      status: 'active',
      expiresAt: null,
      secretHash: await hasher.hash(secret),
      authMethod: 'client_secret',
      jwks: null,
    } as unknown as KeyRecord;
    const keys = {
      findKeyByApplicationId: async (id: string) => {
        const key = [byJwt, bySecret].find((candidate) => candidate.applicationId === id);
        return key ? { key, pair: 'current' } : null;
      },
    } as unknown as KeyStore;
    const counting = countingLimiter();
    const seen = new Set<string>();
    const clients = createClientAuthenticator({
      keys,
      hasher,
      clock: { now: () => Date.now() },
      failures: createFailureLimit({ limiter: counting.limiter, windowSeconds: 60, admission: 'bounded' }),
      limits: { perClient: 20, perIp: 30 },
      replay: {
        clientAssertion: (_environment, applicationId) => async (jti) => !seen.has(`${applicationId}|${jti}`) && !!seen.add(`${applicationId}|${jti}`),
        dpopProof: () => async () => true,
      },
    });
    const sign = (claims: Record<string, unknown> = {}, clientId = byJwt.applicationId, signer = pair.privateKey) =>
      new SignJWT({ jti: crypto.randomUUID(), iss: clientId, sub: clientId, aud: ISSUER, ...claims })
        .setProtectedHeader({ alg: 'ES256' })
        .setExpirationTime('2m')
        .sign(signer);
    return { clients, byJwt, bySecret, secret, sign, recorded: counting.recorded, otherKey: (await generateKeyPair('ES256')).privateKey };
  }

  it('accepts an assertion signed by a registered key, once; a replay is invalid_assertion and counted', async () => {
    const { clients, byJwt, sign, recorded } = await setUpAssertions();
    const assertion = await sign();
    const credential: ClientCredential = { method: 'private_key_jwt', clientId: undefined, assertion };
    expect(await clients.authenticate('sandbox', credential, context)).toMatchObject({ ok: true, value: { id: byJwt.id } });
    expect(await clients.authenticate('sandbox', credential, context)).toMatchObject({ ok: false, reason: 'invalid_assertion', detail: expect.stringMatching(/used before/) });
    expect(recorded).toEqual([{ keys: [`sandbox:authfail:client:${byJwt.applicationId}`, 'sandbox:authfail:ip:203.0.113.9'], windowSeconds: 60 }]);
  });

  it('refuses another key’s signature, another audience, a client_id that is not the sub, and another environment', async () => {
    const { clients, byJwt, sign, otherKey } = await setUpAssertions();
    const authenticate = (assertion: string, clientId?: string) =>
      clients.authenticate('sandbox', { method: 'private_key_jwt', clientId, assertion }, context);
    expect(await authenticate(await sign({}, byJwt.applicationId, otherKey))).toMatchObject({ ok: false, reason: 'invalid_assertion' });
    expect(await authenticate(await sign({ aud: 'https://elsewhere.test' }))).toMatchObject({ ok: false, reason: 'invalid_assertion', detail: expect.stringMatching(/aud/) });
    expect(await authenticate(await sign(), generateApplicationId('sandbox'))).toMatchObject({ ok: false, reason: 'invalid_assertion' });
    expect(await authenticate(await sign({}, generateApplicationId('production')))).toMatchObject({ ok: false, reason: 'other_environment' });
    expect(await authenticate(await sign({}, generateApplicationId('sandbox')))).toMatchObject({ ok: false, reason: 'unknown_client' });
  });

  it('a secret key presenting an assertion, or a private_key_jwt key presenting a secret, is wrong_method', async () => {
    const { clients, byJwt, bySecret, secret, sign } = await setUpAssertions();
    const assertion = await sign({}, bySecret.applicationId);
    expect(await clients.authenticate('sandbox', { method: 'private_key_jwt', clientId: undefined, assertion }, context)).toMatchObject({
      ok: false,
      reason: 'wrong_method',
    });
    const withSecret: ClientCredential = { method: 'client_secret_basic', clientId: byJwt.applicationId, secret };
    expect(await clients.authenticate('sandbox', withSecret, context)).toMatchObject({ ok: false, reason: 'wrong_method' });
  });
});
