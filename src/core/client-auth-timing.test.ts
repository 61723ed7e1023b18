// A wrong secret costs the same work whether or not the application ID exists (no timing oracle).
import { describe, expect, it } from 'vitest';
import type { KeyRecord, KeyStore } from '../ports/key-store.js';
import { createClientAuthenticator } from './client-auth.js';
import { createFailureLimit } from './failure-limit.js';
import { createSecretHasher, generateApplicationId, generateApplicationSecret, type SecretHasher } from './secrets.js';

describe('client authentication work', () => {
  it('hashes once and reads the store once on both the unknown-client and the wrong-secret path', async () => {
    const real = await createSecretHasher('p'.repeat(32));
    const calls = { hash: 0, verify: 0, lookups: 0 };
    const hasher: SecretHasher = {
      hash: (secret) => (calls.hash++, real.hash(secret)),
      verify: (secret, expected) => (calls.verify++, real.verify(secret, expected)),
    };
    const known = generateApplicationId('sandbox');
    const record = { id: 'key_1', applicationId: known, environment: 'sandbox', status: 'active', expiresAt: null,
      secretHash: await real.hash(generateApplicationSecret('sandbox')) } as KeyRecord;
    const keys = {
      findKeyByApplicationId: async (id: string) => (calls.lookups++, id === known ? { key: record, pair: 'current' } : null),
    } as unknown as KeyStore;
    const failures = createFailureLimit({
      limiter: {
        retryAfter: async () => 0,
        recordFailure: async () => {},
        admit: async () => ({ admitted: true, place: { id: 'place', keys: [], windowSeconds: 60 } }),
        release: async () => {},
      },
      windowSeconds: 60,
      admission: 'bounded',
    });
    const auth = createClientAuthenticator({ keys, hasher, clock: { now: () => 0 }, failures, limits: { perClient: 10, perIp: 100 } });
    const presenting = (clientId: string, secret: string) => ({ method: 'client_secret_basic' as const, clientId, secret });
    const attempt = generateApplicationSecret('sandbox');

    const wrongSecret = await auth.authenticate('sandbox', presenting(known, attempt), { ip: undefined });
    const afterKnown = { ...calls };
    const unknownClient = await auth.authenticate('sandbox', presenting(generateApplicationId('sandbox'), attempt), { ip: undefined });

    expect(wrongSecret).toMatchObject({ ok: false, reason: 'wrong_secret' });
    expect(unknownClient).toMatchObject({ ok: false, reason: 'unknown_client' });
    expect(afterKnown).toEqual({ hash: 0, verify: 1, lookups: 1 });
    expect(calls).toEqual({ hash: 0, verify: 2, lookups: 2 });
  });
});
