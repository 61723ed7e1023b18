import { createManualClock } from '../../ports/testing/manual-clock.js';
import { describeUsageMeter } from '../../ports/testing/usage-meter.suite.js';
import { MemoryUsageMeter } from './memory-usage-meter.js';

describeUsageMeter('MemoryUsageMeter', async () => {
  const clock = createManualClock('2026-12-02T10:00:00Z');
  return { meters: [new MemoryUsageMeter(clock)], clock };
});
