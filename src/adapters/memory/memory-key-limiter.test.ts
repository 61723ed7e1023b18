import { describeKeyLimiter } from '../../ports/testing/key-limiter.suite.js';
import { createManualClock } from '../../ports/testing/manual-clock.js';
import { MemoryKeyLimiter } from './memory-key-limiter.js';

describeKeyLimiter('MemoryKeyLimiter', async () => {
  const clock = createManualClock('2026-12-02T10:00:00Z');
  return { limiters: [new MemoryKeyLimiter(clock)], clock };
});
