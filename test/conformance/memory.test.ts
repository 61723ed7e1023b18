// The in-process stores (the default of `npm start`) against the SessionStore and RateLimiter contracts, and the
// in-process change feed against the ChangeFeed contract.
import { MemoryChangeBus } from '../../src/adapters/memory/memory-change-feed.js';
import { MemoryRateLimiter } from '../../src/adapters/memory/memory-rate-limiter.js';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.js';
import { controlledClock } from '../../src/ports/testing/fixtures.js';
import { describeChangeFeedContract } from '../../src/ports/testing/change-feed.suite.js';
import { describeRateLimiterContract } from '../../src/ports/testing/rate-limiter.suite.js';
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

describeChangeFeedContract('MemoryChangeFeed', async () => {
  const bus = new MemoryChangeBus();
  const [a, b] = [bus.feed(), bus.feed()];
  return {
    nodes: [a, b],
    outage: { begin: () => a.disconnect(), end: () => a.reconnect() },
    dispose: async () => void (await Promise.all([a.close(), b.close()])),
  };
});
