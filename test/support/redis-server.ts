// vitest global setup: a real redis-server on a free loopback port for the whole run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** redis://127.0.0.1:<port>, or null when redis-server is not installed (and not required). */
    redisUrl: string | null;
    /** The session store test gateways use by default; set by a vitest project (vitest.config.ts). */
    sessionStore?: 'redis' | 'memory';
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts `redis-server` on `port` (no persistence) and resolves once it accepts commands. */
export async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout?.trim() === 'PONG') return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
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
  const port = await freePort();
  const redis = await startRedisServer(port);
  project.provide('redisUrl', `redis://127.0.0.1:${port}`);
  return () => {
    redis.kill('SIGTERM');
  };
}
