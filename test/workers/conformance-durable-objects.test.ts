// The Durable Object stores, inside workerd, against the ports' conformance suites (SPEC §10).
import { env } from 'cloudflare:test';
import type { DurableNamespaceLike } from '../../src/adapters/workers/durable-object.js';
import { DurableObjectRateLimiter } from '../../src/adapters/workers/failure-counter-object.js';
import { controlledClock, nextId } from '../../src/ports/testing/fixtures.js';
import { describeRateLimiterContract } from '../../src/ports/testing/rate-limiter.suite.js';
import { DurableObjectKeyLimiter } from '../../src/adapters/workers/key-limit-object.js';
import { describeKeyLimiter } from '../../src/ports/testing/key-limiter.suite.js';
import { createManualClock } from '../../src/ports/testing/manual-clock.js';
import { DurableObjectSessionStore } from '../../src/adapters/workers/session-partition-object.js';
import { describeSessionStoreContract } from '../../src/ports/testing/session-store.suite.js';
import { DurableObjectReplayStore } from '../../src/adapters/workers/replay-record-object.js';
import { describeReplayStoreContract } from '../../src/ports/testing/replay-store.suite.js';
import { DurableObjectUsageMeter } from '../../src/adapters/workers/usage-object.js';
import { describeUsageMeter } from '../../src/ports/testing/usage-meter.suite.js';

type Binding = 'FAILURE_COUNTERS' | 'REPLAY_RECORDS' | 'KEY_LIMITS' | 'SESSION_RECORDS' | 'USAGE_COUNTS';

/**
 * A binding under a prefix of its own (objects are named by prefix and key), failing on demand as a
 * Durable Object does when it cannot be reached. The clock is the caller's, as in production.
 */
function objectFixture<Store>(
  name: Binding,
  build: (namespace: DurableNamespaceLike, options: { prefix: string; clock: ReturnType<typeof controlledClock> }) => Store,
) {
  let broken = false;
  const binding = env[name] as unknown as DurableNamespaceLike;
  const namespace: DurableNamespaceLike = {
    idFromName: (name) => binding.idFromName(name),
    get: (id) => {
      const stub = binding.get(id);
      return {
        fetch: async (input, init) => {
          if (broken) throw new Error('Durable Object is overloaded');
          return stub.fetch(input, init);
        },
      };
    },
  };
  const clock = controlledClock();
  return {
    store: build(namespace, { prefix: nextId('t'), clock }),
    clock,
    outage: { store: 'durable-object' as const, begin: () => void (broken = true) },
  };
}

describeRateLimiterContract('DurableObjectRateLimiter', () =>
  objectFixture('FAILURE_COUNTERS', (namespace, options) => new DurableObjectRateLimiter(namespace, options)),
);

// Atomic, unlike KvReplayStore: of 20 concurrent calls with one jti, exactly one answers "first seen".
describeReplayStoreContract('DurableObjectReplayStore', () =>
  objectFixture('REPLAY_RECORDS', (namespace, options) => new DurableObjectReplayStore(namespace, options)),
);

// Four limiters, as four isolates (or locations) of one Worker, over one key's object: 200 concurrent calls spread
// over them against a budget of 50 pass exactly 50. Four MemoryKeyLimiters — the per-isolate fallback — pass 200.
describeKeyLimiter('DurableObjectKeyLimiter over four isolates', async () => {
  const clock = createManualClock('2026-12-02T10:00:00Z');
  const namespace = env.KEY_LIMITS as unknown as DurableNamespaceLike;
  const prefix = nextId('t');
  return { limiters: Array.from({ length: 4 }, () => new DurableObjectKeyLimiter(namespace, { prefix, clock })), clock };
});

describeSessionStoreContract('DurableObjectSessionStore', () =>
  objectFixture('SESSION_RECORDS', (namespace, options) => new DurableObjectSessionStore(namespace, options)),
);

// Two meters, as two isolates (or locations) of one Worker, over each key's one object: 400 concurrent counts spread
// over both read back as one total, exactly.
describeUsageMeter('DurableObjectUsageMeter over two isolates', async () => {
  const clock = createManualClock('2026-12-02T10:00:00Z');
  const namespace = env.USAGE_COUNTS as unknown as DurableNamespaceLike;
  const prefix = nextId('t');
  return { meters: [new DurableObjectUsageMeter(namespace, { prefix, clock }), new DurableObjectUsageMeter(namespace, { prefix, clock })], clock };
});
