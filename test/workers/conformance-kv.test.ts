// The Workers KV stores, inside workerd, against the SessionStore, RateLimiter and ReplayStore contracts.
import { env } from 'cloudflare:test';
import { KvRateLimiter } from '../../src/adapters/workers/kv-rate-limiter.js';
import { KvReplayStore } from '../../src/adapters/workers/kv-replay-store.js';
import { KvSessionStore, type KvNamespaceLike } from '../../src/adapters/workers/kv-session-store.js';
import { controlledClock, nextId, type ContractClock } from '../../src/ports/testing/fixtures.js';
import { describeRateLimiterContract } from '../../src/ports/testing/rate-limiter.suite.js';
import { describeReplayStoreContract } from '../../src/ports/testing/replay-store.suite.js';
import { describeSessionStoreContract } from '../../src/ports/testing/session-store.suite.js';

/**
 * The test namespace under a prefix of its own, failing on demand as KV does when it is unavailable.
 * The clock is controlled: KV keeps everything at least 60 s, and the stores check every deadline
 * against the clock they are given.
 */
function kvFixture<Store>(build: (kv: KvNamespaceLike, options: { prefix: string; clock: ContractClock }) => Store) {
  let broken = false;
  const check = (operation: string) => {
    if (broken) throw new Error(`KV ${operation} failed: 503 Service Unavailable`);
  };
  const kv: KvNamespaceLike = {
    get: async (key, type) => (check('GET'), env.SESSIONS.get(key, type)),
    put: async (key, value, options) => (check('PUT'), env.SESSIONS.put(key, value, options)),
    delete: async (key) => (check('DELETE'), env.SESSIONS.delete(key)),
    list: async (options) => (check('LIST'), env.SESSIONS.list(options)),
  };
  const clock = controlledClock();
  return {
    store: build(kv, { prefix: nextId('t'), clock }),
    clock,
    outage: { store: 'kv' as const, begin: () => void (broken = true) },
  };
}

// Workers KV in one location (as here) reads its own writes; what eventual consistency across locations
// means for revocation and the issuance cache is written down in docs/workers.md.
describeSessionStoreContract('KvSessionStore', () => kvFixture((kv, options) => new KvSessionStore(kv, options)));

describeRateLimiterContract('KvRateLimiter', () => kvFixture((kv, options) => new KvRateLimiter(kv, options)), {
  atomicCounters: false,
  failedRecordingRaises: false,
});

// KV has no conditional write: concurrent first uses of one jti may each pass (docs/workers.md, until SPEC §10).
describeReplayStoreContract('KvReplayStore', () => kvFixture((kv, options) => new KvReplayStore(kv, options)), { atomic: false });
