// vitest global setup: every real server the node tests use, started side by side once per run.
// KEYMINT_TEST_SERVERS_TIMING=1 prints how long each took to start.
import type { TestProject } from 'vitest/node';
import { setupPostgres } from './postgres-server.js';
import { setupRedisCluster } from './redis-cluster.js';
import setupRedis from './redis-server.js';
import { setupRedisSentinel } from './redis-sentinel.js';

type Teardown = (() => unknown) | undefined | void;

export default async function setup(project: TestProject) {
  const started = performance.now();
  const timings: string[] = [];
  const timed = async (name: string, start: Promise<Teardown>) => {
    const teardown = await start;
    timings.push(`${name} ${Math.round(performance.now() - started)} ms`);
    return teardown;
  };
  const results = await Promise.allSettled([
    timed('redis', Promise.resolve(setupRedis(project))),
    timed('postgres', setupPostgres(project)),
    timed('redis cluster', setupRedisCluster(project)),
    timed('redis sentinel', setupRedisSentinel(project)),
  ]);
  if (process.env.KEYMINT_TEST_SERVERS_TIMING === '1') console.log(`test servers ready: ${timings.join(', ')}`);
  const teardown = async () => {
    await Promise.all(results.map(async (result) => (result.status === 'fulfilled' ? result.value?.() : undefined)));
  };
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    // Stop what did start before failing the run.
    await teardown();
    throw failed.reason;
  }
  return teardown;
}
