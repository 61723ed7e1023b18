// vitest global setup: a real redis-server on a free loopback port for the whole run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

/** Ports this process has handed out: concurrent set-ups (the global setup starts four servers at once) never share one. */
const handedOut = new Set<number>();

/** A loopback port no server listens on, and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
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
