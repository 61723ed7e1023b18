// The in-process stores (the default of `npm start`) against the SessionStore, RateLimiter and ReplayStore contracts.
import { MemoryRateLimiter } from '../../src/adapters/memory/memory-rate-limiter.js';
import { MemoryReplayStore } from '../../src/adapters/memory/memory-replay-store.js';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.js';
import { controlledClock } from '../../src/ports/testing/fixtures.js';
import { describeRateLimiterContract } from '../../src/ports/testing/rate-limiter.suite.js';
import { describeReplayStoreContract } from '../../src/ports/testing/replay-store.suite.js';
import { describeSessionStoreContract } from '../../src/ports/testing/session-store.suite.js';

// Process memory cannot be unreachable: the fixtures have no outage, and the suites skip that test.
describeSessionStoreContract('MemorySessionStore', () => {
  const clock = controlledClock();
  return { store: new MemorySessionStore(clock), clock };
});

describeRateLimiterContract('MemoryRateLimiter', () => {
  const clock = controlledClock();
  return { store: new MemoryRateLimiter(clock), clock };
});

describeReplayStoreContract('MemoryReplayStore', () => {
  const clock = controlledClock();
  return { store: new MemoryReplayStore(clock), clock };
});
