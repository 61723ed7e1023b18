// Change notices between nodes (SPEC §6), on the in-process bus and a frozen clock: a change announced on one node
// drops what another node's caches hold about it; while a node's feed is down it trusts nothing for longer than 1 s.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryChangeBus, type MemoryChangeFeed } from '../adapters/memory/memory-change-feed.js';
import { openSqliteDatabase, type SqliteHandle } from '../adapters/node/sqlite-database.js';
import { SqlSigningKeyStore } from '../adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore } from '../adapters/sql/sql-store.js';
import type { KeyRecord, KeyStore } from '../ports/key-store.js';
import type { SigningKeyStore } from '../ports/signing-key-store.js';
import { silentLogger } from '../ports/runtime.js';
import { announceKeyChanges, createChangeNotices, UNTRUSTED_CACHE_MS, type ChangeNotices } from './change-notices.js';
import { createKeyCache } from './key-cache.js';
import { createSigningKeyring, JWKS_MAX_AGE_SECONDS, PUBLISH_AHEAD_MS, type SigningKeyring } from './keyring.js';
import { createSealer } from './sealing.js';

const HEALTHY_MS = 60_000;

function frozenClock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function keyRecord(id: string, secretHash: string): KeyRecord {
  return {
    id,
    accountId: 'acct_1',
    environment: 'sandbox',
    name: id,
    applicationId: `app_sbx_${id}`,
    secretHash,
    secretHint: 'abcd',
    scopes: [],
    status: 'active',
    expiresAt: null,
    createdAt: 0,
    updatedAt: 0,
    lastUsedAt: null,
    authMethod: 'client_secret',
    jwks: null,
    requireDpop: false,
    rateLimit: null,
    quota: null,
    tokenRateLimit: null,
    previous: null,
  };
}

/** A key store (a unit's stand-in) whose look-ups are counted and whose one key can be changed. */
function countingKeys() {
  let key: KeyRecord | null = keyRecord('key_1', 'hash_1');
  const store = {
    reads: 0,
    set(next: KeyRecord | null) {
      key = next;
    },
    async findKeyBySecretHash(secretHash: string) {
      store.reads++;
      return key?.secretHash === secretHash ? { key, pair: 'current' as const } : null;
    },
  };
  return store;
}

/** One node: its notices over its feed on the shared bus, and an Api-Key look-up cache listening to them. */
function node(bus: MemoryChangeBus, keys: ReturnType<typeof countingKeys>, clock: ReturnType<typeof frozenClock>) {
  const feed = bus.feed();
  const notices = createChangeNotices({ feed, logger: silentLogger });
  const cache = createKeyCache({
    keys: keys as unknown as KeyStore,
    clock,
    maxAgeMs: notices.cacheLifetime({ whileHealthy: HEALTHY_MS, withoutFeed: 1000 }),
    maxEntries: 100,
  });
  notices.listen(cache.hear);
  return { feed, notices, cache };
}

describe('the Api-Key look-up cache across nodes', () => {
  it('keeps an answer while the feed is healthy, and drops it when another node announces the key changed', async () => {
    const bus = new MemoryChangeBus();
    const keys = countingKeys();
    const clock = frozenClock();
    const a = node(bus, keys, clock);
    const b = node(bus, keys, clock);

    expect((await b.cache.findKeyBySecretHash('hash_1'))?.key.status).toBe('active');
    clock.advance(HEALTHY_MS - 1);
    expect((await b.cache.findKeyBySecretHash('hash_1'))?.key.status).toBe('active');
    expect(keys.reads).toBe(1);

    keys.set({ ...keyRecord('key_1', 'hash_1'), status: 'disabled' });
    await a.notices.announce({ kind: 'key', keyId: 'key_1' });
    expect((await b.cache.findKeyBySecretHash('hash_1'))?.key.status).toBe('disabled');
    expect(keys.reads).toBe(2);
  });

  it('drops only the key that changed', async () => {
    const bus = new MemoryChangeBus();
    const keys = countingKeys();
    const clock = frozenClock();
    const a = node(bus, keys, clock);
    const b = node(bus, keys, clock);
    await b.cache.findKeyBySecretHash('hash_1');
    await a.notices.announce({ kind: 'key', keyId: 'key_other' });
    await b.cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(1);
  });

  it('while its feed is down, drops what it held and keeps nothing longer than 1 s; back up, trusts it again', async () => {
    const bus = new MemoryChangeBus();
    const keys = countingKeys();
    const clock = frozenClock();
    const b = node(bus, keys, clock);
    await b.cache.findKeyBySecretHash('hash_1');

    (b.feed as MemoryChangeFeed).disconnect();
    // Changes may have been missed: what was cached before is read again.
    await b.cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(2);
    clock.advance(UNTRUSTED_CACHE_MS - 1);
    await b.cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(2);
    clock.advance(1);
    await b.cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(3);

    (b.feed as MemoryChangeFeed).reconnect();
    await b.cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(4);
    clock.advance(UNTRUSTED_CACHE_MS * 10);
    await b.cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(4);
  });

  it('hears, once the feed is back, what another node changed while it was cut off', async () => {
    const bus = new MemoryChangeBus();
    const keys = countingKeys();
    const clock = frozenClock();
    const a = node(bus, keys, clock);
    const b = node(bus, keys, clock);
    (a.feed as MemoryChangeFeed).disconnect();
    await b.cache.findKeyBySecretHash('hash_1');
    keys.set(null);
    await a.notices.announce({ kind: 'key', keyId: 'key_1' });
    expect(await b.cache.findKeyBySecretHash('hash_1')).not.toBeNull();
    (a.feed as MemoryChangeFeed).reconnect();
    expect(await b.cache.findKeyBySecretHash('hash_1')).toBeNull();
  });

  it('in a process alone (no feed) keeps answers for the lifetime it is given', async () => {
    const keys = countingKeys();
    const clock = frozenClock();
    const notices = createChangeNotices({ logger: silentLogger });
    const cache = createKeyCache({
      keys: keys as unknown as KeyStore,
      clock,
      maxAgeMs: notices.cacheLifetime({ whileHealthy: HEALTHY_MS, withoutFeed: 1000 }),
      maxEntries: 100,
    });
    notices.listen(cache.hear);
    await cache.findKeyBySecretHash('hash_1');
    clock.advance(999);
    await cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(1);
    clock.advance(1);
    await cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(2);
    // Its own changes still reach it at once.
    await notices.announce({ kind: 'key', keyId: 'key_1' });
    await cache.findKeyBySecretHash('hash_1');
    expect(keys.reads).toBe(3);
  });
});

describe('announceKeyChanges', () => {
  it('announces a key change after a write, and after a write that failed', async () => {
    const heard: unknown[] = [];
    const store = {
      async updateKey() {
        return null;
      },
      async deleteKey() {
        throw new Error('the database is down');
      },
    } as unknown as KeyStore;
    const announced = announceKeyChanges(store, { announce: async (change) => void heard.push(change) });
    await announced.updateKey('acct_1', 'key_1', { name: 'x', updatedAt: 1 }, undefined as never);
    await expect(announced.deleteKey('acct_1', 'key_2', undefined as never)).rejects.toThrow('the database is down');
    expect(heard).toEqual([
      { kind: 'key', keyId: 'key_1' },
      { kind: 'key', keyId: 'key_2' },
    ]);
  });
});

describe('the keyring across nodes', () => {
  const databases: SqliteHandle[] = [];
  afterEach(() => {
    for (const database of databases.splice(0)) database.close();
  });

  async function ringsOnOneDatabase(
    clock: ReturnType<typeof frozenClock>,
    rotationDays = 0,
    storeOf: (store: SqlSigningKeyStore) => SigningKeyStore = (store) => store,
  ) {
    const database = openSqliteDatabase(':memory:');
    databases.push(database);
    const bus = new MemoryChangeBus();
    const sealer = await createSealer(undefined);
    const ring = (feedOf: MemoryChangeFeed): { keyring: SigningKeyring; notices: ChangeNotices; feed: MemoryChangeFeed } => {
      const notices = createChangeNotices({ feed: feedOf, logger: silentLogger });
      const keyring = createSigningKeyring({
        store: storeOf(new SqlSigningKeyStore(database)),
        audit: new SqlKeyStore(database),
        sealer,
        clock,
        algorithm: 'ES256',
        tokenLifetime: () => 3600,
        rotationDays,
        announce: notices.announce,
        maxAgeMs: notices.cacheLifetime({ whileHealthy: HEALTHY_MS, withoutFeed: HEALTHY_MS }),
      });
      notices.listen(keyring.hear);
      return { keyring, notices, feed: feedOf };
    };
    return [ring(bus.feed()), ring(bus.feed())] as const;
  }

  /** Lets a background reload (started by a notice) finish. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('signs with the key another node rotated to, at once, and publishes it', async () => {
    const clock = frozenClock();
    const [a, b] = await ringsOnOneDatabase(clock);
    const before = (await b.keyring.activeKey('sandbox')).kid;
    expect((await a.keyring.activeKey('sandbox')).kid).toBe(before);

    const rotated = await a.keyring.rotate('sandbox', { kind: 'root' });
    await settle();
    expect(rotated.kid).not.toBe(before);
    expect((await b.keyring.activeKey('sandbox')).kid).toBe(rotated.kid);
    expect((await b.keyring.jwks('sandbox')).keys.map((jwk) => jwk.kid)).toEqual(expect.arrayContaining([before, rotated.kid]));
    // The other environment was left alone.
    expect((await b.keyring.jwks('production')).keys).toHaveLength(1);
  });

  it('publishes a key another node rotated to before the notice arrives, so a verifier never caches a set without it', async () => {
    const clock = frozenClock();
    const [a, b] = await ringsOnOneDatabase(clock);
    const before = (await b.keyring.jwks('sandbox')).keys.map((jwk) => jwk.kid);
    b.feed.disconnect();
    await settle();
    const rotated = await a.keyring.rotate('sandbox', { kind: 'root' });
    expect((await b.keyring.jwks('sandbox')).keys.map((jwk) => jwk.kid).sort()).toEqual([...before, rotated.kid].sort());
  });

  it('answers the JWKS from memory within a moment while the store hangs, never holding up signing or verification', async () => {
    const clock = frozenClock();
    let hang = false;
    let calls = 0;
    const hanging = (store: SqlSigningKeyStore): SigningKeyStore =>
      new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls++;
            return hang ? new Promise(() => undefined) : (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    const [a, b] = await ringsOnOneDatabase(clock, 0, hanging);
    const before = (await b.keyring.jwks('sandbox')).keys;
    const active = await b.keyring.activeKey('sandbox');
    // Healthy: concurrent JWKS requests share reads.
    calls = 0;
    await Promise.all(Array.from({ length: 200 }, () => b.keyring.jwks('sandbox')));
    expect(calls).toBeLessThanOrEqual(2);

    hang = true;
    calls = 0;
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => b.keyring.jwks('sandbox')));
    for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 20 }, () => b.keyring.jwks('sandbox')));
    expect(performance.now() - started).toBeLessThan(5_000);
    for (const answer of answers) expect(answer.keys).toEqual(before);
    // One read hangs; nobody starts another behind it, and signing and verification answer from memory meanwhile.
    expect(calls).toBe(1);
    const soon = <T>(work: Promise<T>) => Promise.race([work, new Promise((_, reject) => setTimeout(() => reject(new Error('hung')), 1_000))]);
    expect(((await soon(b.keyring.activeKey('sandbox'))) as { kid: string }).kid).toBe(active.kid);
    expect(await soon(b.keyring.verificationKey('sandbox', active.kid))).toBeDefined();

    // The store answers again, and the read that hung is given up on after 5 s: a key rotated meanwhile is published.
    hang = false;
    const rotated = await a.keyring.rotate('sandbox', { kind: 'root' });
    clock.advance(5_000);
    expect((await b.keyring.jwks('sandbox')).keys.map((jwk) => jwk.kid)).toContain(rotated.kid);
  });

  it('while its feed is down, reads the keys again after at most 1 s', async () => {
    const clock = frozenClock();
    const [a, b] = await ringsOnOneDatabase(clock);
    await b.keyring.activeKey('sandbox');
    b.feed.disconnect();
    await settle();
    const rotated = await a.keyring.rotate('sandbox', { kind: 'root' });
    await settle();
    expect((await b.keyring.activeKey('sandbox')).kid).not.toBe(rotated.kid);
    clock.advance(UNTRUSTED_CACHE_MS);
    expect((await b.keyring.activeKey('sandbox')).kid).toBe(rotated.kid);
  });

  const DAY = 86_400_000;
  const kids = async ({ keyring }: { keyring: SigningKeyring }) => (await keyring.jwks('sandbox')).keys.map((jwk) => jwk.kid).sort();

  it('publishes a scheduled rotation\'s next key on every node first, and every node signs with it from the same moment', async () => {
    const clock = frozenClock();
    const [a, b] = await ringsOnOneDatabase(clock, 7);
    const first = (await a.keyring.activeKey('sandbox')).kid;
    expect((await b.keyring.activeKey('sandbox')).kid).toBe(first);

    // Due: A's next read publishes the next key and tells B, which has not reached its own reload yet.
    clock.advance(7 * DAY);
    await a.keyring.jwks('sandbox');
    await settle();
    const published = await kids(b);
    expect(published).toHaveLength(2);
    expect(await kids(a)).toEqual(published);
    const next = published.find((kid) => kid !== first)!;
    const view = (await b.keyring.list('sandbox')).find((key) => key.kid === next)!;
    expect(view.status).toBe('pending');
    expect(view.activatesAt! - clock.now()).toBeGreaterThanOrEqual((JWKS_MAX_AGE_SECONDS + 5) * 1000);

    // Nobody signs with it before its time, however often they read the keys.
    clock.advance(view.activatesAt! - clock.now() - 1);
    expect((await a.keyring.activeKey('sandbox')).kid).toBe(first);
    expect((await b.keyring.activeKey('sandbox')).kid).toBe(first);
    // From its time on, both do (each from what it holds; no write is waited for).
    clock.advance(1);
    expect((await a.keyring.activeKey('sandbox')).kid).toBe(next);
    expect((await b.keyring.activeKey('sandbox')).kid).toBe(next);
    // The next read makes it active in the store, once, and the old key stays published.
    clock.advance(HEALTHY_MS);
    await Promise.all([a.keyring.list('sandbox'), b.keyring.list('sandbox')]);
    const listed = await a.keyring.list('sandbox');
    expect(listed.map((key) => [key.kid, key.status]).sort()).toEqual([[first, 'retired'], [next, 'active']].sort());
    expect(listed.find((key) => key.kid === first)!.retiredAt).toBe(view.activatesAt);
    expect(await kids(b)).toEqual(published);
  });

  it('a rotation for compromise while a next key is pending signs with a new key at once and drops the pending one', async () => {
    const clock = frozenClock();
    const [a, b] = await ringsOnOneDatabase(clock, 7);
    const first = (await a.keyring.activeKey('sandbox')).kid;
    clock.advance(7 * DAY);
    await a.keyring.jwks('sandbox');
    const pending = (await kids(a)).find((kid) => kid !== first)!;

    const rotated = await b.keyring.rotate('sandbox', { kind: 'root' });
    await settle();
    expect(rotated.status).toBe('active');
    expect((await a.keyring.activeKey('sandbox')).kid).toBe(rotated.kid);
    // Past the pending key's time nobody signs with it: it is gone from the store and the JWKS.
    clock.advance(PUBLISH_AHEAD_MS);
    expect((await a.keyring.activeKey('sandbox')).kid).toBe(rotated.kid);
    expect((await b.keyring.activeKey('sandbox')).kid).toBe(rotated.kid);
    expect(await kids(a)).not.toContain(pending);
  });
});
