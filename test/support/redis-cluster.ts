// A real 6-process Redis Cluster (3 primaries, 3 replicas) on free loopback ports, and helpers a fault test needs.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePorts, startRedisServer } from './redis-server.js';
import { allSettledOrThrow, runCommand, startOnFreePorts, waitUntil } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:<port>,…` (every node of the cluster), or null when Redis is not installed (and not required). */
    redisClusterNodes: string | null;
  }
}

const HOST = '127.0.0.1';

/** `redis-cli` against one node; resolves with its reply text. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  return (await runCommand('redis-cli', ['-h', HOST, '-p', String(port), ...args])).trim();
}

export function hasRedisCluster(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;
}

/** Starts one redis-server with its files in `directory` and the given extra arguments. */
export function startRedisNode(port: number, directory: string, extra: string[] = []): Promise<ChildProcess> {
  return startRedisServer(port, ['--dir', directory, ...extra]);
}

export interface RedisCluster {
  /** `host:port` of every node, primaries and replicas. */
  nodes: string[];
  /** The redis-server process behind each port. */
  processes: Map<number, ChildProcess>;
  stop(): Promise<void>;
}

/**
 * Six nodes, `redis-cli --cluster create … --cluster-replicas 1`, then waits until every node says
 * `cluster_state:ok`. The node timeout (2 s by default) bounds how long a failover takes.
 */
export async function startRedisCluster(options: { nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-redis-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const stop = async () => {
    await Promise.all([...processes.values()].map(stopProcess));
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    // Each node also needs a bus port; the default (port + 10000) may be taken or out of range, so pick one.
    const ports = await freePorts(12);
    const started = await allSettledOrThrow(
      ports.slice(0, 6).map(async (port, i) => {
        const child = await startRedisNode(port, directory, [
          '--cluster-enabled', 'yes',
          '--cluster-port', String(ports[6 + i]),
          '--cluster-config-file', join(directory, `nodes-${port}.conf`),
          '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000),
          // Replicas sync at once rather than after Redis 7's 5 s wait for more replicas of a diskless sync.
          '--repl-diskless-sync-delay', '0',
        ]);
        processes.set(port, child);
        return port;
      }),
    );
    const nodes = started.map((port) => `${HOST}:${port}`);
    await runCommand('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '1', '--cluster-yes']);
    await waitUntil(
      async () => (await Promise.all(started.map((port) => redisCli(port, 'cluster', 'info')))).every((info) => info.includes('cluster_state:ok')),
      20_000,
      'cluster_state:ok on every node',
    );
    // A replica that never synced with its primary is never promoted (its data counts as too old): a cluster
    // whose replicas are still syncing would not fail over yet.
    await waitUntil(
      async () => {
        const replications = await Promise.all(started.map((port) => redisCli(port, 'info', 'replication')));
        return replications.filter((info) => info.includes('role:slave')).every((info) => info.includes('master_link_status:up'));
      },
      20_000,
      'every replica to sync with its primary',
    );
    return { nodes, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The primary (`host:port`) that serves `key`'s hash slot, as `node` (any node of the cluster) sees it. */
export async function primaryServingKey(node: string, key: string): Promise<string> {
  const port = Number(node.split(':')[1]);
  const slot = Number(await redisCli(port, 'cluster', 'keyslot', key));
  // Each entry: [first slot, last slot, [host, port, id] of the primary, …replicas].
  const ranges = JSON.parse(await redisCli(port, '--json', 'cluster', 'slots')) as [number, number, [string, number]][];
  const range = ranges.find(([first, last]) => slot >= first && slot <= last);
  if (!range) throw new Error(`no primary serves slot ${slot}`);
  return `${range[2][0]}:${range[2][1]}`;
}

/** Kills the redis-server behind `host:port` (found through its own INFO) with `signal`; returns its pid. */
export async function killRedisNode(node: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
  const port = Number(node.split(':')[1]);
  const pid = Number(/process_id:(\d+)/.exec(await redisCli(port, 'info', 'server'))?.[1]);
  if (!pid) throw new Error(`cannot find the process of redis node ${node}`);
  process.kill(pid, signal);
  return pid;
}

/** The global-setup part: provides `redisClusterNodes` (null when absent and KEYMINT_REQUIRE_REDIS_CLUSTER is not 1). */
export async function setupRedisCluster(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!hasRedisCluster()) {
    if (process.env.KEYMINT_REQUIRE_REDIS_CLUSTER === '1') {
      throw new Error('KEYMINT_REQUIRE_REDIS_CLUSTER=1 but redis-server/redis-cli are not on PATH (apt-get install -y redis-server)');
    }
    console.warn('redis-server not found: Redis Cluster tests are skipped (set KEYMINT_REQUIRE_REDIS_CLUSTER=1 to fail instead)');
    project.provide('redisClusterNodes', null);
    return undefined;
  }
  const cluster = await startOnFreePorts('Redis Cluster', () => startRedisCluster());
  project.provide('redisClusterNodes', cluster.nodes.join(','));
  return cluster.stop;
}
