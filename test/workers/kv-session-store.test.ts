// KvSessionStore and KvRateLimiter on workerd's Workers KV: TTLs clamped to 60 s with the token's exp still
// authoritative, revocation through list(), the issuance cache, failure counters, and KV faults as
// StoreUnavailableError. (The ports' whole contracts: test/workers/conformance-kv.test.ts.)
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { KvRateLimiter } from '../../src/adapters/workers/kv-rate-limiter.js';
import { KvSessionStore, type KvNamespaceLike } from '../../src/adapters/workers/kv-session-store.js';
import { systemClock } from '../../src/ports/runtime.js';
import type { SessionRecord } from '../../src/ports/session-store.js';
import { StoreUnavailableError } from '../../src/ports/store-errors.js';
import { recordingKv } from './support/recording-kv.js';

function movableClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(seconds: number) {
      offset += seconds * 1000;
    },
  };
}

/** A fresh store over the test namespace, under its own prefix, recording every put's options. */
function freshStore(clock = movableClock()) {
  const { kv, puts, prefix } = recordingKv();
  return { store: new KvSessionStore(kv, { prefix, clock }), limiter: new KvRateLimiter(kv, { prefix, clock }), clock, puts, prefix };
}

function session(overrides: Partial<SessionRecord> & { exp: number }): SessionRecord {
  return {
    jti: crypto.randomUUID(),
    applicationId: 'app_sbx_x',
    keyId: 'key_a',
    accountId: 'acct_a',
    scope: 'a',
    aud: 'https://keymint.example/sandbox/api',
    iat: overrides.exp - 3600,
    revoked: false,
    ...overrides,
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('KvSessionStore', () => {
  it('stores session records under km-style, environment-namespaced keys', async () => {
    const { store, prefix } = freshStore();
    const record = session({ exp: nowSeconds() + 3600 });
    await store.saveSession('sandbox', record);
    expect(await env.SESSIONS.get(`${prefix}:sandbox:session:${record.jti}`, 'json')).toEqual(record);
    expect(await store.getSession('sandbox', record.jti)).toEqual(record);
    expect(await store.getSession('production', record.jti)).toBeNull();
  });

  it('raises TTLs below a minute to 60 s, and still treats the token as gone at its own exp', async () => {
    const { store, clock, puts, prefix } = freshStore();
    const record = session({ exp: nowSeconds() + 5 });
    await store.saveSession('sandbox', record);
    expect(puts.map((put) => put.expirationTtl)).toEqual([60, 60]);

    clock.advance(10);
    expect(await store.getSession('sandbox', record.jti)).toBeNull();
    expect(await store.revokeSession('sandbox', record.jti)).toBe(false);
    // KV still holds it: only the check on read makes it expire on time.
    expect(await env.SESSIONS.get(`${prefix}:sandbox:session:${record.jti}`)).not.toBeNull();
  });

  it('keeps long TTLs as they are', async () => {
    const { store, puts } = freshStore();
    await store.saveSession('sandbox', session({ exp: nowSeconds() + 3600 }));
    for (const put of puts) expect(put.expirationTtl).toBeGreaterThanOrEqual(3599);
  });

  it('revokes one session and forgets the key’s reusable tokens', async () => {
    const { store } = freshStore();
    const record = session({ exp: nowSeconds() + 3600 });
    const slot = { keyId: record.keyId, slot: `${record.applicationId} ${record.aud} a` };
    const token = { token: 'jwt', jti: record.jti, scope: 'a', iat: record.iat, exp: record.exp };
    await store.saveSession('sandbox', record, { slot, token, reuseUntil: record.iat + 1800 + 3600 });
    expect(await store.findIssued('sandbox', slot)).toEqual(token);

    expect(await store.revokeSession('sandbox', record.jti)).toBe(true);
    expect(await store.getSession('sandbox', record.jti)).toMatchObject({ revoked: true });
    expect(await store.findIssued('sandbox', slot)).toBeNull();
    expect(await store.revokeSession('sandbox', 'unknown')).toBe(false);
  });

  it('does not offer a cached token whose session reads as revoked, even while the cache entry lingers', async () => {
    const { store, prefix } = freshStore();
    const record = session({ exp: nowSeconds() + 3600 });
    const slot = { keyId: record.keyId, slot: 'slot' };
    const token = { token: 'jwt', jti: record.jti, scope: 'a', iat: record.iat, exp: record.exp };
    await store.saveSession('sandbox', record, { slot, token, reuseUntil: nowSeconds() + 1800 });
    // As another location sees it: the revoked record has arrived, the deletion of the cache entry not yet.
    await env.SESSIONS.put(`${prefix}:sandbox:session:${record.jti}`, JSON.stringify({ ...record, revoked: true }));
    expect(await store.findIssued('sandbox', slot)).toBeNull();
  });

  it('stops offering a cached token at its reuse deadline, though KV keeps it a minute', async () => {
    const { store, clock } = freshStore();
    const record = session({ exp: nowSeconds() + 3600 });
    const slot = { keyId: record.keyId, slot: 'slot' };
    const token = { token: 'jwt', jti: record.jti, scope: 'a', iat: record.iat, exp: record.exp };
    await store.saveSession('sandbox', record, { slot, token, reuseUntil: nowSeconds() + 10 });
    expect(await store.findIssued('sandbox', slot)).toEqual(token);
    clock.advance(11);
    expect(await store.findIssued('sandbox', slot)).toBeNull();
  });

  it('revokes every live session of a key, found by listing its index prefix', async () => {
    const { store, clock } = freshStore();
    const soon = session({ keyId: 'key_b', exp: nowSeconds() + 30 });
    const live = [session({ keyId: 'key_b', exp: nowSeconds() + 3600 }), session({ keyId: 'key_b', exp: nowSeconds() + 3600 })];
    const other = session({ keyId: 'key_c', exp: nowSeconds() + 3600 });
    for (const record of [soon, ...live, other]) await store.saveSession('sandbox', record);
    clock.advance(31);

    expect(await store.revokeKeySessions('sandbox', 'key_b')).toBe(2);
    for (const record of live) expect(await store.getSession('sandbox', record.jti)).toMatchObject({ revoked: true });
    expect(await store.getSession('sandbox', other.jti)).toMatchObject({ revoked: false });
    expect(await store.revokeKeySessions('sandbox', 'key_b')).toBe(0);
    expect(await store.revokeKeySessions('production', 'key_c')).toBe(0);
  });

  it('counts failures in a fixed window and tells how long to wait', async () => {
    const { limiter, clock } = freshStore();
    for (let attempt = 0; attempt < 3; attempt++) await limiter.recordFailure(['sandbox:authfail:client:x'], 60);
    const client = 'sandbox:authfail:client:x';
    const ip = 'sandbox:authfail:ip:192.0.2.1';
    expect(await limiter.retryAfter([{ key: client, limit: 4 }, { key: ip, limit: 1 }])).toBe(0);
    const wait = await limiter.retryAfter([{ key: client, limit: 3 }, { key: ip, limit: 1 }]);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    clock.advance(61);
    expect(await limiter.retryAfter([{ key: client, limit: 3 }])).toBe(0);
  });

  it('turns KV faults into StoreUnavailableError, but never fails on a refused counter write', async () => {
    const broken: KvNamespaceLike = {
      get: async () => {
        throw new Error('KV GET failed: 503');
      },
      put: async () => {
        throw new Error('KV PUT failed: 429 Too Many Requests');
      },
      delete: async () => {
        throw new Error('KV DELETE failed');
      },
      list: async () => {
        throw new Error('KV LIST failed');
      },
    };
    const store = new KvSessionStore(broken, { clock: systemClock });
    const limiter = new KvRateLimiter(broken, { clock: systemClock });
    const record = session({ exp: nowSeconds() + 3600 });
    await expect(store.saveSession('sandbox', record)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.getSession('sandbox', record.jti)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.revokeSession('sandbox', record.jti)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.revokeKeySessions('sandbox', 'key_a')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.findIssued('sandbox', { keyId: 'key_a', slot: 's' })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(limiter.retryAfter([{ key: 'sandbox:authfail:client:x', limit: 3 }])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(limiter.recordFailure(['sandbox:authfail:client:x'], 60)).resolves.toBeUndefined();
  });
});
