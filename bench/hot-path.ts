// Drives one hot path of one keymint for a while, for a profile: `--cpu-prof` (V8 sampling) or CPU µs per
// request from /proc, without the rest of `npm run bench`. Usage:
//   npx tsx bench/hot-path.ts proxy-bearer|proxy-api-key|token|introspect [--seconds 10] [--connections 50]
//     [--cpu-prof] [--log-level warn|info] [--keymint-root DIR] [--env NAME=VALUE …]
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, killAllChildrenNow, startChild, stopAllChildren, waitFor } from './lib/children.js';
import { basic, createKeys, REPO_ROOT, startKeymint } from './lib/keymint.js';
import { runLoad } from './lib/load.js';
import { watchCpu, watchForeignCpu } from './lib/machine.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'cpu-prof': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    'keymint-root': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const scenario = positionals[0] ?? 'proxy-bearer';
const seconds = Number(flags.seconds);
const connections = Number(flags.connections);
const profileDir = join(REPO_ROOT, 'bench', 'profiles');
const workDir = mkdtempSync(join(tmpdir(), 'keymint-hot-path-'));
process.on('exit', () => killAllChildrenNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAllChildren().then(() => process.exit(130)));

try {
  const redisPort = await freePort();
  startChild('redis-server', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const upstreamPort = await freePort();
  const upstream = startChild('upstream', process.execPath, ['--import', 'tsx', 'bench/servers/upstream.ts'], {
    cwd: REPO_ROOT,
    env: { PORT: String(upstreamPort) },
  });
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  await waitFor('the upstream', async () => ((await fetch(upstreamUrl).catch(() => undefined)) ? true : undefined), { child: upstream });
  if (flags['cpu-prof']) mkdirSync(profileDir, { recursive: true });
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
    nodeFlags: flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
    extraEnv: {
      KEYMINT_LOG_LEVEL: flags['log-level'],
      ...Object.fromEntries(flags.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
    },
  });
  const [key] = await createKeys(keymint.url, adminToken, 1);
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(key!.applicationId, key!.applicationSecret) };
  const minted = await fetch(`${keymint.url}/sandbox/oauth/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
  const token = ((await minted.json()) as { access_token: string }).access_token;
  const loads = {
    'proxy-bearer': { url: `${keymint.url}/sandbox/api/v1/items?limit=10`, headers: { authorization: `Bearer ${token}` } },
    'proxy-api-key': { url: `${keymint.url}/sandbox/api/v1/items?limit=10`, headers: { 'api-key': key!.applicationSecret } },
    token: { url: `${keymint.url}/sandbox/oauth/token`, method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=read+write' },
    introspect: { url: `${keymint.url}/sandbox/oauth/introspect`, method: 'POST', headers: form, body: `token=${token}` },
  } as const;
  const load = loads[scenario as keyof typeof loads];
  if (!load) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(loads).join(', ')}`);
  const probe = await fetch(load.url, load);
  if (probe.status !== 200) throw new Error(`${scenario}: ${probe.status} ${await probe.text()}`);
  await runLoad({ ...load, connections, seconds: Math.min(3, seconds) });
  const cpu = watchCpu(keymint.child.pid);
  const foreign = watchForeignCpu();
  const result = await runLoad({ ...load, connections, seconds });
  const micros = cpu.stop();
  process.stdout.write(
    `${scenario}: ${Math.round(result.ok / result.seconds)} req/s, ${Math.round(micros / result.ok)} µs CPU/req, ` +
      `${result.failed} failed, other processes ${Math.round(foreign.stop() * 100)}%\n`,
  );
} finally {
  await stopAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
