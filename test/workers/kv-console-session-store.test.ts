// KvConsoleSessionStore on workerd's Workers KV: the shared ConsoleSessionStore suite, TTLs clamped to KV's 60 s
// minimum, and KV faults as SessionStoreUnavailableError.
import { describe, expect, it } from 'vitest';
import { KvConsoleSessionStore } from '../../src/adapters/workers/kv-console-session-store.js';
import type { KvNamespaceLike } from '../../src/adapters/workers/kv-session-store.js';
import { SessionStoreUnavailableError } from '../../src/ports/session-store.js';
import { describeConsoleSessionStore, movableClock, sessionRecord } from '../support/console-session-store-suite.js';
import { recordingKv } from './support/recording-kv.js';

/** The test namespace under a prefix of its own, recording every put's options. */
function freshStore(clock = movableClock()) {
  const { kv, puts, prefix } = recordingKv();
  return { store: new KvConsoleSessionStore(kv, { prefix, clock }), clock, puts, prefix };
}

describeConsoleSessionStore('KvConsoleSessionStore', () => freshStore());

describe('KvConsoleSessionStore on Workers KV', () => {
  it('writes the record once with a TTL to the session end, and activity under a key of its own (TTL ≥ 60 s)', async () => {
    const { store, clock, puts, prefix } = freshStore();
    const record = sessionRecord(clock, { expiresAt: clock.now() + 12 * 60 * 60 * 1000 });
    await store.create('hash1', record);
    clock.advance(12 * 60 * 60 * 1000 - 10_000);
    await store.touch('hash1', clock.now(), record.expiresAt);
    expect(puts).toEqual([
      { key: `${prefix}:console:session:hash1`, expirationTtl: 12 * 60 * 60 },
      { key: `${prefix}:console:seen:hash1`, expirationTtl: 60 },
    ]);
  });

  it('turns KV faults into SessionStoreUnavailableError', async () => {
    const broken: KvNamespaceLike = {
      get: () => Promise.reject(new Error('KV GET failed: 503')),
      put: () => Promise.reject(new Error('KV PUT failed: 503')),
      delete: () => Promise.reject(new Error('KV DELETE failed: 503')),
      list: () => Promise.reject(new Error('KV LIST failed: 503')),
    };
    const store = new KvConsoleSessionStore(broken);
    await expect(store.get('x')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(store.create('x', sessionRecord(movableClock()))).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(store.delete('x')).rejects.toBeInstanceOf(SessionStoreUnavailableError);
  });
});
