// vitest global setup: every real server the node tests use, started side by side once per run.
// KEYMINT_TEST_SERVERS_TIMING=1 prints how long each took to start.
// More than one vitest project lists this file (vitest.config.ts): the servers start once, for the first, and every
// project is given the same addresses; the last project to finish stops them.
import type { TestProject } from 'vitest/node';
import { setupPostgres } from './postgres-server.js';
import { setupRedisCluster } from './redis-cluster.js';
import setupRedis from './redis-server.js';
import { setupRedisSentinel } from './redis-sentinel.js';

type Teardown = (() => unknown) | undefined | void;

interface Started {
  /** What the servers' setups provided, to give every project. */
  provided: Record<string, unknown>;
  teardown(): Promise<void>;
}

/** Shared by every project's instance of this module (the main vitest process loads it once per project). */
const shared = globalThis as typeof globalThis & { keymintTestServers?: { started: Promise<Started>; users: number } };

export default async function setup(project: TestProject) {
  shared.keymintTestServers ??= { started: startServers(), users: 0 };
  const servers = shared.keymintTestServers;
  servers.users++;
  const { provided, teardown } = await servers.started;
  for (const [key, value] of Object.entries(provided)) project.provide(key as never, value as never);
  return async () => {
    if (--servers.users > 0) return;
    delete shared.keymintTestServers;
    await teardown();
  };
}

async function startServers(): Promise<Started> {
  const provided: Record<string, unknown> = {};
  // The setups only provide values; they are recorded here and handed to each project above.
  const recorder = { provide: (key: string, value: unknown) => (provided[key] = value) } as unknown as TestProject;
  const started = performance.now();
  const timings: string[] = [];
  const timed = async (name: string, start: Promise<Teardown>) => {
    const teardown = await start;
    timings.push(`${name} ${Math.round(performance.now() - started)} ms`);
    return teardown;
  };
  const results = await Promise.allSettled([
    timed('redis', Promise.resolve(setupRedis(recorder))),
    timed('postgres', setupPostgres(recorder)),
    timed('redis cluster', setupRedisCluster(recorder)),
    timed('redis sentinel', setupRedisSentinel(recorder)),
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
  return { provided, teardown };
}
