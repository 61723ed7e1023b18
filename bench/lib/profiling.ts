// What the one-path profiling drivers (hot-path.ts, instructions.ts, syscalls.ts) share: their peers (a Redis and
// the upstream), the keymint options they run with, a key and a token, and the request each scenario sends.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, killAllChildrenNow, startChild, stopAllChildren, waitFor, type Child } from './children.js';
import { basic, createKeys, REPO_ROOT, type Credential, type KeymintOptions } from './keymint.js';

/** A scratch directory removed at the end, and every child stopped on exit or a signal. */
export function profilingRun(name: string): { workDir: string; cleanUp(): Promise<void> } {
  const workDir = mkdtempSync(join(tmpdir(), `keymint-${name}-`));
  process.on('exit', () => killAllChildrenNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAllChildren().then(() => process.exit(130)));
  return {
    workDir,
    async cleanUp() {
      await stopAllChildren();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** `--env NAME=VALUE` flags as an environment. */
export function envPairs(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

/** Waits until `url` answers anything; slow servers (valgrind) get longer. */
export async function listening(url: string, child: Child, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  await waitFor(`${child.name} to listen`, async () => ((await fetch(url).catch(() => undefined)) ? true : undefined), { child, ...options });
}

/** A throwaway Redis and the bench upstream, both listening. */
export async function startPeers(): Promise<{ redisUrl: string; upstreamUrl: string }> {
  const redisPort = await freePort();
  startChild('redis-server', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const upstreamPort = await freePort();
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const upstream = startChild('upstream', process.execPath, ['--import', 'tsx', 'bench/servers/upstream.ts'], {
    cwd: REPO_ROOT,
    env: { PORT: String(upstreamPort) },
  });
  await listening(upstreamUrl, upstream);
  return { redisUrl: `redis://127.0.0.1:${redisPort}`, upstreamUrl };
}

/** The keymint options every driver runs with (issuance cache off), less the port. */
export function profiledKeymint(workDir: string, peers: { redisUrl: string; upstreamUrl: string }, env: Record<string, string>): Omit<KeymintOptions, 'port'> {
  return {
    database: join(workDir, 'keymint.db'),
    redisUrl: peers.redisUrl,
    adminToken: `bench_root_${randomBytes(24).toString('base64url')}`,
    pepper: randomBytes(32).toString('base64url'),
    kek: randomBytes(32).toString('base64url'),
    issuanceCache: false,
    upstream: peers.upstreamUrl,
    extraEnv: env,
  };
}

/** One request of a scenario, by path. */
export interface ScenarioRequest {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A fresh key of the keymint at `url` (with `keyFields`, such as limits), a token minted with it, and the request each scenario sends. */
export async function scenarioRequests(
  url: string,
  adminToken: string,
  keyFields: Record<string, unknown> = {},
): Promise<{ key: Credential; requests: Record<string, ScenarioRequest> }> {
  const [key] = (await createKeys(url, adminToken, 1, keyFields)) as [Credential];
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(key.applicationId, key.applicationSecret) };
  const minted = await fetch(`${url}/sandbox/oauth/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
  const token = ((await minted.json()) as { access_token: string }).access_token;
  const issue = { path: '/sandbox/oauth/token', method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=read+write' };
  return {
    key,
    requests: {
      'proxy-bearer': { path: '/sandbox/api/v1/items?limit=10', headers: { authorization: `Bearer ${token}` } },
      'proxy-api-key': { path: '/sandbox/api/v1/items?limit=10', headers: { 'api-key': key.applicationSecret } },
      'bare-proxy': { path: '/v1/items?limit=10' },
      token: issue,
      'raw-limit': issue,
      'bare-limit': issue,
      introspect: { path: '/sandbox/oauth/introspect', method: 'POST', headers: form, body: `token=${token}` },
    },
  };
}

/** Sends `count` requests over `connections`; how many were answered 2xx. */
export function sendRequests(url: string, count: number, connections: number, init: Omit<ScenarioRequest, 'path'>): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, amount: count, timeout: 60, ...init }, (error, result) => (error ? reject(error) : resolve(result['2xx'])));
  });
}
