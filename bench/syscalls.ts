// System calls per request of one server, counted by `strace -c` over a fixed number of requests: with
// instruction counts (bench/instructions.ts, user space only), the other measure that a shared machine's load
// cannot move. A proxied call's kernel time is mostly its socket writes; this says how many it makes. Usage:
//   npx tsx bench/syscalls.ts proxy-bearer|proxy-api-key|token|introspect|bare-proxy [--requests 4000]
//     [--connections 50] [--keymint-root DIR] [--env NAME=VALUE …]
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, killAllChildrenNow, startChild, stopAllChildren, waitFor, type Child } from './lib/children.js';
import { basic, createKeys, REPO_ROOT, startKeymint } from './lib/keymint.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '50' },
    'keymint-root': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const scenario = positionals[0] ?? 'proxy-bearer';
const requests = Number(flags.requests);
const workDir = mkdtempSync(join(tmpdir(), 'keymint-syscalls-'));
process.on('exit', () => killAllChildrenNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAllChildren().then(() => process.exit(130)));

function amount(url: string, count: number, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: Number(flags.connections), amount: count, timeout: 60, ...init }, (error, result) =>
      error ? reject(error) : resolve(result['2xx']),
    );
  });
}

async function listening(url: string, child: Child): Promise<void> {
  await waitFor(`${child.name} to listen`, async () => ((await fetch(url).catch(() => undefined)) ? true : undefined), { child });
}

try {
  const redisPort = await freePort();
  startChild('redis-server', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const upstreamPort = await freePort();
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  await listening(upstreamUrl, startChild('upstream', process.execPath, ['--import', 'tsx', 'bench/servers/upstream.ts'], { cwd: REPO_ROOT, env: { PORT: String(upstreamPort) } }));

  const adminToken = `bench_root_${randomBytes(24).toString('base64url')}`;
  const keymint = await startKeymint('keymint', {
    port: await freePort(),
    database: join(workDir, 'keymint.db'),
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    adminToken,
    pepper: randomBytes(32).toString('base64url'),
    kek: randomBytes(32).toString('base64url'),
    issuanceCache: false,
    upstream: upstreamUrl,
    ...(flags['keymint-root'] && { root: flags['keymint-root'] }),
    extraEnv: Object.fromEntries(flags.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
  });
  const [key] = await createKeys(keymint.url, adminToken, 1);
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(key!.applicationId, key!.applicationSecret) };
  const minted = await fetch(`${keymint.url}/sandbox/oauth/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
  const token = ((await minted.json()) as { access_token: string }).access_token;

  let measured = keymint.child;
  let url = keymint.url;
  if (scenario === 'bare-proxy') {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    measured = startChild('bare proxy', process.execPath, ['--import', 'tsx', 'bench/servers/bare-proxy.ts'], {
      cwd: REPO_ROOT,
      env: { PORT: String(port), UPSTREAM_URL: upstreamUrl },
    });
    await listening(url, measured);
  }
  const loads: Record<string, { path: string; method?: string; headers?: Record<string, string>; body?: string }> = {
    'proxy-bearer': { path: '/sandbox/api/v1/items?limit=10', headers: { authorization: `Bearer ${token}` } },
    'proxy-api-key': { path: '/sandbox/api/v1/items?limit=10', headers: { 'api-key': key!.applicationSecret } },
    'bare-proxy': { path: '/v1/items?limit=10' },
    token: { path: '/sandbox/oauth/token', method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=read+write' },
    introspect: { path: '/sandbox/oauth/introspect', method: 'POST', headers: form, body: `token=${token}` },
  };
  const load = loads[scenario];
  if (!load) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(loads).join(', ')}`);
  const probe = await fetch(`${url}${load.path}`, load);
  if (probe.status !== 200) throw new Error(`${scenario}: ${probe.status} ${await probe.text()}`);
  await amount(`${url}${load.path}`, Number(flags.warmup), load);

  const out = join(workDir, 'strace.txt');
  const strace = spawn('strace', ['-c', '-f', '-o', out, '-p', String(measured.pid)], { stdio: 'ignore' });
  // strace attaches to every thread before the load starts (it prints nothing to say so: give it a moment).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const ok = await amount(`${url}${load.path}`, requests, load);
  const stopped = new Promise((resolve) => strace.once('exit', resolve));
  strace.kill('SIGINT');
  await stopped;
  const rows = readFileSync(out, 'utf8')
    .split('\n')
    .map((line) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && match[3] !== 'total')
    .map((match) => ({ name: match[3]!, calls: Number(match[1]), errors: Number(match[2] ?? 0) }))
    .sort((a, b) => b.calls - a.calls);
  const total = rows.reduce((sum, row) => sum + row.calls, 0);
  process.stdout.write(`${scenario}: ${ok} requests answered 2xx, ${(total / ok).toFixed(2)} system calls per request\n`);
  for (const row of rows) {
    if (row.calls / ok < 0.01) continue;
    process.stdout.write(`  ${(row.calls / ok).toFixed(2).padStart(6)}  ${row.name}${row.errors ? ` (${(row.errors / ok).toFixed(2)} failed)` : ''}\n`);
  }
} finally {
  await stopAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
