// User-space instructions per request of one server under callgrind: a measure that other load on a shared
// machine does not move (unlike rates and, to a lesser degree, CPU time). Slow (the server runs ~50× slower
// under valgrind), so it takes a fixed number of requests at a few connections. Usage:
//   npx tsx bench/instructions.ts proxy-bearer|proxy-api-key|token|introspect|bare-proxy|raw-limit|bare-limit
//     [--requests 2000] [--warmup 3000] [--connections 4] [--keymint-root DIR] [--env NAME=VALUE …]
// The server runs under `valgrind --tool=callgrind` with instrumentation off; after the warm-up it is switched on
// for the measured requests (callgrind_control), and the instruction count over them is divided by their number.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, killAllChildrenNow, startChild, stopAllChildren, waitFor, type Child } from './lib/children.js';
import { basic, createKeys, keymintEnv, REPO_ROOT, startKeymint, type Credential } from './lib/keymint.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '4' },
    'keymint-root': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const scenario = positionals[0] ?? 'proxy-bearer';
const requests = Number(flags.requests);
const root = flags['keymint-root'] ?? REPO_ROOT;
const workDir = mkdtempSync(join(tmpdir(), 'keymint-instructions-'));
process.on('exit', () => killAllChildrenNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopAllChildren().then(() => process.exit(130)));

const VALGRIND = ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', '--vgdb=yes'];

function amount(url: string, count: number, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: Number(flags.connections), amount: count, timeout: 60, ...init }, (error, result) =>
      error ? reject(error) : resolve(result['2xx']),
    );
  });
}

async function listening(url: string, child: Child): Promise<void> {
  await waitFor(`${child.name} to listen`, async () => ((await fetch(url).catch(() => undefined)) ? true : undefined), {
    child,
    timeoutMs: 600_000,
    intervalMs: 500,
  });
}


try {
  const redisPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  startChild('redis-server', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const upstreamPort = await freePort();
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const upstream = startChild('upstream', process.execPath, ['--import', 'tsx', 'bench/servers/upstream.ts'], { cwd: REPO_ROOT, env: { PORT: String(upstreamPort) } });
  await listening(upstreamUrl, upstream);

  // Keys and a token come from a keymint outside valgrind; the measured server shares its database and Redis.
  const adminToken = `bench_root_${randomBytes(24).toString('base64url')}`;
  const base = {
    database: join(workDir, 'keymint.db'),
    redisUrl,
    adminToken,
    pepper: randomBytes(32).toString('base64url'),
    kek: randomBytes(32).toString('base64url'),
    issuanceCache: false,
    upstream: upstreamUrl,
    extraEnv: Object.fromEntries(flags.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])),
  };
  const helper = await startKeymint('keymint (set-up)', { ...base, port: await freePort() });
  const [key] = (await createKeys(helper.url, adminToken, 1)) as [Credential];
  const credentialsFile = join(workDir, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify([key]));
  await helper.stop();

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const out = join(workDir, 'callgrind.out');
  let measured: Child;
  if (scenario.startsWith('proxy') || scenario === 'token' || scenario === 'introspect') {
    // The bundle `npm start` runs (tsx would compile every module under valgrind first).
    const cacheDir = join(root, 'bench', '.cache', 'instructions-server');
    mkdirSync(cacheDir, { recursive: true });
    const { buildServer } = (await import(pathToFileURL(join(root, 'scripts', 'build-server.mjs')).href)) as {
      buildServer(outDir: string): Promise<{ entry: string }>;
    };
    const { entry } = await buildServer(cacheDir);
    measured = startChild('keymint (callgrind)', 'valgrind', [...VALGRIND, `--callgrind-out-file=${out}`, process.execPath, entry], {
      cwd: root,
      env: keymintEnv({ ...base, port }),
    });
    await waitFor('keymint under valgrind', async () => ((await fetch(`${url}/sandbox/.well-known/jwks.json`).catch(() => undefined))?.ok ? true : undefined), {
      child: measured,
      timeoutMs: 900_000,
      intervalMs: 1000,
    });
  } else {
    const file = { 'bare-proxy': 'bench/servers/bare-proxy.ts', 'raw-limit': 'bench/servers/raw-limit.ts', 'bare-limit': 'bench/servers/bare-limit.ts' }[scenario];
    if (!file) throw new Error(`unknown scenario ${scenario}`);
    measured = startChild(scenario, 'valgrind', [...VALGRIND, `--callgrind-out-file=${out}`, process.execPath, '--import', 'tsx', file], {
      cwd: REPO_ROOT,
      env: { PORT: String(port), UPSTREAM_URL: upstreamUrl, CREDENTIALS_FILE: credentialsFile, PEPPER: base.pepper, REDIS_URL: redisUrl },
    });
    await listening(url, measured);
  }

  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(key.applicationId, key.applicationSecret) };
  const tokenPath = scenario.endsWith('limit') ? '/sandbox/oauth/token' : '/sandbox/oauth/token';
  const minted = await fetch(`${url}${tokenPath}`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
  const token = scenario.startsWith('proxy') || scenario === 'introspect' ? ((await minted.json()) as { access_token: string }).access_token : '';
  const loads: Record<string, { path: string; method?: string; headers?: Record<string, string>; body?: string }> = {
    'proxy-bearer': { path: '/sandbox/api/v1/items?limit=10', headers: { authorization: `Bearer ${token}` } },
    'proxy-api-key': { path: '/sandbox/api/v1/items?limit=10', headers: { 'api-key': key.applicationSecret } },
    'bare-proxy': { path: '/v1/items?limit=10' },
    token: { path: '/sandbox/oauth/token', method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=read+write' },
    'raw-limit': { path: '/sandbox/oauth/token', method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=read+write' },
    'bare-limit': { path: '/sandbox/oauth/token', method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=read+write' },
    introspect: { path: '/sandbox/oauth/introspect', method: 'POST', headers: form, body: `token=${token}` },
  };
  const load = loads[scenario]!;
  const probe = await fetch(`${url}${load.path}`, load);
  if (probe.status !== 200) throw new Error(`${scenario}: ${probe.status} ${await probe.text()}`);
  const started = Date.now();
  await amount(`${url}${load.path}`, Number(flags.warmup), load);
  process.stderr.write(`warm-up done in ${Math.round((Date.now() - started) / 1000)} s\n`);
  const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(measured.pid)], { stdio: 'pipe' }).toString();
  control('-i', 'on');
  const ok = await amount(`${url}${load.path}`, requests, load);
  // The commands are taken up when the server next runs (vgdb cannot always interrupt a process idle in
  // epoll): one more request wakes it to dump, then switch off.
  control('-d');
  await fetch(`${url}${load.path}`, load).then((response) => response.arrayBuffer());
  control('-i', 'off');
  // The dump is written by the server's own thread: wait until a file with totals is there.
  const instructions = await waitFor('the callgrind dump', async () => {
    let most = 0;
    for (const file of readdirSync(workDir).filter((name) => name.startsWith('callgrind.out'))) {
      const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(workDir, file), 'utf8'));
      most = Math.max(most, Number(totals?.[1] ?? 0));
    }
    return most > 0 ? most : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  process.stdout.write(`${scenario}: ${ok} requests answered 2xx, ${Math.round(instructions / ok).toLocaleString('en-US')} instructions per request (user space, callgrind)\n`);
} finally {
  await stopAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
