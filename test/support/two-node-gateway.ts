// The gateway of the HTTP contract suites as production runs it (SPEC §6): two keymint processes, each with its own data
// directory, on one PostgreSQL database and the run's Redis Cluster, behind a front that sends every request to the
// other node than the last. The `node-two-nodes` vitest project (vitest.config.ts) runs the contract suites on it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/ports/runtime.js';
import { randomBase62 } from '../../src/shared/encoding.js';
import { startAlternatingFront } from './alternating-front.js';
import { spawnKeymint, type KeymintProcess } from './keymint-process.js';
import type { TestClock } from './oauth-calls.js';
import { createTestDatabase } from './postgres.js';
import { freePorts } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** How test gateways run: in the test's process (the default), or as two processes behind a front. */
    gatewayTopology?: 'in-process' | 'two-nodes';
    /** The server bundle's node arguments, built once for the run (test/support/two-node-setup.ts). */
    serverBundleEntry?: string[];
  }
}

const CLOCK_PRELOAD = fileURLToPath(new URL('./test-clock-preload.mjs', import.meta.url));

/** What a test's gateway is made of when it runs as two processes (test/support/gateway.ts adds the HTTP helpers). */
export interface TwoNodeGateway {
  url: string;
  config: Config;
  rootToken: string;
  directory: string;
  /** Both nodes' output lines so far. */
  logs: string[];
  nodes: KeymintProcess[];
  /** How many requests the front sent to each node. */
  sent: number[];
  close(): Promise<void>;
}

export async function startTwoNodeGateway(options: { env?: Record<string, string>; clock?: Clock }): Promise<TwoNodeGateway> {
  const clusterNodes = inject('redisClusterNodes');
  const entry = inject('serverBundleEntry');
  if (!clusterNodes || !entry) throw new Error('two-node gateways need the run\'s Redis Cluster and the server bundle (vitest project node-two-nodes)');
  const clock = options.clock && testClockOf(options.clock);
  const directory = mkdtempSync(join(tmpdir(), 'keymint-two-nodes-'));
  let nodes: KeymintProcess[] = [];
  // The setting each node's clock holds (JSON), so a node is told only when the test moved the clock.
  const clockSettings: string[] = [];
  const front = await startAlternatingFront({
    nodePorts: () => nodes.map((node) => node.port),
    async beforeRelay(index) {
      if (!clock) return;
      const setting = JSON.stringify({ frozenAt: clock.frozenAt, offsetMs: clock.offsetMs });
      if (clockSettings[index] === setting) return;
      await setClock(nodes[index]!.child, setting);
      clockSettings[index] = setting;
    },
  });
  const rootToken = `root_${randomBase62(40)}`;
  const [database, ports] = await Promise.all([createTestDatabase(), freePorts(2)]);
  const env: Record<string, string> = {
    KEYMINT_DATABASE: database,
    KEYMINT_PUBLIC_URL: front.url,
    KEYMINT_ADMIN_TOKEN: rootToken,
    KEYMINT_SECRET_PEPPER: `pepper_${randomBase62(40)}`,
    REDIS_CLUSTER_NODES: clusterNodes,
    KEYMINT_REDIS_PREFIX: `t${randomBase62(8)}`,
    ...options.env,
  };
  const logs: string[] = [];
  nodes = ports.map((port, i) => {
    const nodeDirectory = join(directory, `node-${i}`);
    mkdirSync(nodeDirectory);
    const node = spawnKeymint({
      directory: nodeDirectory,
      port,
      entry: clock ? ['--import', CLOCK_PRELOAD, ...entry] : entry,
      ipc: clock !== undefined,
      env: { ...env, ...(clock && { KEYMINT_TEST_CLOCK: JSON.stringify({ frozenAt: clock.frozenAt, offsetMs: clock.offsetMs }) }) },
    });
    for (const stream of [node.child.stdout!, node.child.stderr!]) {
      stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
    }
    return node;
  });
  const close = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await front.close();
    rmSync(directory, { recursive: true, force: true });
  };
  // A run that only ever reached one node proved nothing about two.
  const closeAfterBothServed = async () => {
    await close();
    const total = front.sent.reduce((sum, count) => sum + count, 0);
    if (total >= 2 && nodes.some((_, index) => !front.sent[index])) throw new Error(`the front sent every request to one node (${front.sent.join('/')})`);
  };
  try {
    // Both at once, as a deployment starts: they race for the migrations and each environment's first signing key.
    await Promise.all(nodes.map((node) => node.ready()));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await close();
    throw error;
  }
  return { url: front.url, config: loadConfig(env), rootToken, directory, logs, nodes, sent: front.sent, close: closeAfterBothServed };
}

function testClockOf(clock: Clock): TestClock {
  if (!('offsetMs' in clock)) throw new Error('a two-node gateway keeps its processes\' clocks with a TestClock (createTestClock) only');
  return clock as TestClock;
}

let settings = 0;

/** Tells a node (test-clock-preload.mjs) its clock's new setting; resolves once the node holds it. */
function setClock(child: ChildProcess, setting: string): Promise<void> {
  const id = ++settings;
  return new Promise((resolve, reject) => {
    const heard = (message: { testClockSet?: number }) => {
      if (message?.testClockSet !== id) return;
      child.off('message', heard);
      resolve();
    };
    child.on('message', heard);
    child.send({ testClock: JSON.parse(setting), id }, (error) => {
      if (!error) return;
      child.off('message', heard);
      reject(error);
    });
  });
}
