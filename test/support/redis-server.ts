// vitest global setup: a real redis-server on a free loopback port for the whole run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startOnFreePorts, waitForOwnRedis } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** redis://127.0.0.1:<port>, or null when redis-server is not installed (and not required). */
    redisUrl: string | null;
    /** The session store test gateways use by default; set by a vitest project (vitest.config.ts). */
    sessionStore?: 'redis' | 'memory';
  }
}

// Test servers listen on ports below the kernel's ephemeral range (Linux: 32768–60999), where neither a client
// socket's own port nor a listen(0) ever lands, and each vitest worker (VITEST_POOL_ID; the global setup: 0) takes
// from a block of its own. A port found free there stays free until the process it was meant for binds it, seconds
// later for a keymint process under tsx. (Taken from the ephemeral range, one was bound by some socket in between,
// and keymint failed to start with EADDRINUSE in CI.)
const FIRST_PORT = 10_000;
const BLOCKS = 8;
const BLOCK_SIZE = Math.floor((ephemeralLow() - FIRST_PORT) / BLOCKS);
const block = FIRST_PORT + (Number(process.env.VITEST_POOL_ID ?? 0) % BLOCKS) * BLOCK_SIZE;
let next = Math.floor(Math.random() * BLOCK_SIZE);
/** Ports this process has handed out: concurrent set-ups (the global setup starts four servers at once) never share one. */
const handedOut = new Set<number>();

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low >= FIRST_PORT + 1000) return low;
  } catch {
    // not Linux (or a range starting too low to leave room below it): Linux's default start, below IANA's 49152 too
  }
  return 32_768;
}

/** A port no server listens on (on any address), not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tried = 0; ; tried++) {
    // A whole block handed out (a long run in one worker): its first ports are long closed again.
    if (tried > 0 && tried % BLOCK_SIZE === 0) handedOut.clear();
    const port = block + (next++ % BLOCK_SIZE);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** `count` different free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(await freePort());
  return ports;
}

/** Starts `redis-server` on `port` (no persistence, `extra` arguments besides) and resolves once it is the server there. */
export async function startRedisServer(port: number, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], {
    stdio: 'ignore',
  });
  try {
    await waitForOwnRedis(child, port, 'redis-server');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export default async function setup(project: TestProject) {
  if (!hasRedisServer()) {
    if (process.env.KEYMINT_REQUIRE_REDIS === '1') {
      throw new Error('KEYMINT_REQUIRE_REDIS=1 but redis-server is not on PATH (apt-get install -y redis-server)');
    }
    console.warn('redis-server not found: Redis-backed tests are skipped (set KEYMINT_REQUIRE_REDIS=1 to fail instead)');
    project.provide('redisUrl', null);
    return;
  }
  const { port, redis } = await startOnFreePorts('redis-server', async () => {
    const port = await freePort();
    return { port, redis: await startRedisServer(port) };
  });
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  return () => {
    redis.kill('SIGTERM');
  };
}
