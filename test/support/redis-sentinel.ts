// A real Sentinel-managed Redis: one primary, one replica and three redis-sentinel processes on loopback ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePorts } from './redis-server.js';
import { redisCli, startRedisNode } from './redis-cluster.js';
import { allSettledOrThrow, startOnFreePorts, waitForOwnRedis, waitUntil } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:<port>,…` of the three sentinels, or null when redis-sentinel is not installed (and not required). */
    redisSentinels: string | null;
    /** The name the sentinels monitor the primary under. */
    redisSentinelName: string | null;
  }
}

export const SENTINEL_NAME = 'keymint';
const HOST = '127.0.0.1';

export function hasRedisSentinel(): boolean {
  return spawnSync('redis-sentinel', ['--version']).status === 0 && spawnSync('redis-server', ['--version']).status === 0;
}

export interface RedisSentinelGroup {
  /** `host:port` of each sentinel. */
  sentinels: string[];
  name: string;
  /** `host:port` of the primary and the replica as started (after a failover they swap). */
  primary: string;
  replica: string;
  processes: ChildProcess[];
  stop(): Promise<void>;
}

/**
 * A primary, its replica, and three sentinels (quorum 2) that declare it down after `downAfterMs` (1 s) and
 * fail over quickly. Resolves once every sentinel knows the replica and the two other sentinels.
 */
export async function startRedisSentinelGroup(options: { downAfterMs?: number } = {}): Promise<RedisSentinelGroup> {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-redis-sentinel-'));
  const processes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const [primaryPort, replicaPort, ...sentinelPorts] = await freePorts(5);
    // All five start at once: the replica and the sentinels retry until the primary answers.
    const startSentinel = async (port: number) => {
      // Sentinel rewrites its configuration file (its id, what it learned), so each gets its own.
      const config = join(directory, `sentinel-${port}.conf`);
      writeFileSync(
        config,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${directory}`,
          `sentinel monitor ${SENTINEL_NAME} ${HOST} ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} ${options.downAfterMs ?? 1000}`,
          // A failover whose election fails (votes late on a loaded machine) is tried again after twice this.
          `sentinel failover-timeout ${SENTINEL_NAME} 2000`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn('redis-sentinel', [config], { stdio: 'ignore' });
      processes.push(child);
      await waitForOwnRedis(child, port, 'redis-sentinel');
    };
    await allSettledOrThrow<unknown>([
      startRedisNode(primaryPort!, directory).then((child) => processes.push(child)),
      startRedisNode(replicaPort!, directory, ['--replicaof', HOST, String(primaryPort)]).then((child) => processes.push(child)),
      ...sentinelPorts.map(startSentinel),
    ]);
    // Sentinels find the replica through the primary and each other through hello messages (every 2 s).
    await waitUntil(
      async () => {
        const views = await Promise.all(sentinelPorts.map((port) => redisCli(port, 'sentinel', 'master', SENTINEL_NAME)));
        return views.every((view) => field(view, 'num-slaves') === '1' && field(view, 'num-other-sentinels') === '2');
      },
      15_000,
      'every sentinel to know the replica and the other sentinels',
      100,
    );
    await waitUntil(
      async () => (await redisCli(replicaPort!, 'info', 'replication')).includes('master_link_status:up'),
      10_000,
      'the replica to sync',
    );
    return {
      sentinels: sentinelPorts.map((port) => `${HOST}:${port}`),
      name: SENTINEL_NAME,
      primary: `${HOST}:${primaryPort}`,
      replica: `${HOST}:${replicaPort}`,
      processes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A field of redis-cli's `SENTINEL MASTER` reply (name and value on alternate lines). */
function field(reply: string, name: string): string | undefined {
  const lines = reply.split('\n');
  const at = lines.indexOf(name);
  return at >= 0 ? lines[at + 1] : undefined;
}

/** The global-setup part: provides `redisSentinels` and `redisSentinelName` (null when absent and not required). */
export async function setupRedisSentinel(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!hasRedisSentinel()) {
    if (process.env.KEYMINT_REQUIRE_REDIS_SENTINEL === '1') {
      throw new Error('KEYMINT_REQUIRE_REDIS_SENTINEL=1 but redis-sentinel is not on PATH (apt-get install -y redis-sentinel)');
    }
    console.warn('redis-sentinel not found: Redis Sentinel tests are skipped (set KEYMINT_REQUIRE_REDIS_SENTINEL=1 to fail instead)');
    project.provide('redisSentinels', null);
    project.provide('redisSentinelName', null);
    return undefined;
  }
  const group = await startOnFreePorts('Redis Sentinel', () => startRedisSentinelGroup());
  project.provide('redisSentinels', group.sentinels.join(','));
  project.provide('redisSentinelName', group.name);
  return group.stop;
}
