// User-space instructions per request of one server under callgrind: a measure that other load on a shared
// machine does not move (unlike rates and, to a lesser degree, CPU time). Slow (the server runs ~50× slower
// under valgrind), so it takes a fixed number of requests at a few connections. Usage:
//   npx tsx bench/instructions.ts proxy-bearer|proxy-api-key|token|introspect|bare-proxy|raw-limit|bare-limit
//     [--requests 2000] [--warmup 3000] [--connections 4] [--keymint-root DIR] [--env NAME=VALUE …]
//     [--key JSON]   (fields of the measured key, e.g. '{"rateLimit":{"requests":1000000,"windowSeconds":60}}')
//   ({upstream} in a VALUE is replaced by the upstream's URL)
// The server runs under `valgrind --tool=callgrind` with instrumentation off; after the warm-up it is switched on
// for the measured requests (callgrind_control), and the instruction count over them is divided by their number.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startChild, waitFor, type Child } from './lib/children.js';
import { keymintEnv, REPO_ROOT, startKeymint } from './lib/keymint.js';
import { envPairs, listening, profiledKeymint, profilingRun, scenarioRequests, sendRequests, startPeers } from './lib/profiling.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '4' },
    'keymint-root': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    key: { type: 'string', default: '{}' },
  },
});
const scenario = positionals[0] ?? 'proxy-bearer';
const requests = Number(flags.requests);
const connections = Number(flags.connections);
const root = flags['keymint-root'] ?? REPO_ROOT;
const run = profilingRun('instructions');

const VALGRIND = ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', '--vgdb=yes'];

try {
  const peers = await startPeers();

  // Keys and a token come from a keymint outside valgrind; the measured server shares its database and Redis.
  // `{upstream}` in an --env value is the upstream's URL (for KEYMINT_SERVICES_SANDBOX, say).
  const env = Object.fromEntries(Object.entries(envPairs(flags.env)).map(([name, value]) => [name, value.replaceAll('{upstream}', peers.upstreamUrl)]));
  const base = {
    ...profiledKeymint(run.workDir, peers, env),
    // Services replace the single upstream (the two cannot be combined).
    ...(env.KEYMINT_SERVICES_SANDBOX !== undefined && { upstream: undefined }),
  };
  const helper = await startKeymint('keymint (set-up)', { ...base, port: await freePort() });
  const { key, requests: loads } = await scenarioRequests(helper.url, base.adminToken, JSON.parse(flags.key) as Record<string, unknown>);
  const credentialsFile = join(run.workDir, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify([key]));
  await helper.stop();

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const out = join(run.workDir, 'callgrind.out');
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
      // The set-up keymint's public URL: the issuer its tokens name (an issuer with another port is refused).
      env: { ...keymintEnv({ ...base, port }), KEYMINT_PUBLIC_URL: helper.url },
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
      env: { PORT: String(port), UPSTREAM_URL: peers.upstreamUrl, CREDENTIALS_FILE: credentialsFile, PEPPER: base.pepper, REDIS_URL: peers.redisUrl },
    });
    await listening(url, measured, { timeoutMs: 600_000, intervalMs: 500 });
  }

  // The token was minted by the set-up keymint: the measured server shares its signing keys and Redis.
  const load = loads[scenario]!;
  const probe = await fetch(`${url}${load.path}`, load);
  if (probe.status !== 200) throw new Error(`${scenario}: ${probe.status} ${await probe.text()}`);
  const started = Date.now();
  await sendRequests(`${url}${load.path}`, Number(flags.warmup), connections, load);
  process.stderr.write(`warm-up done in ${Math.round((Date.now() - started) / 1000)} s\n`);
  const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(measured.pid)], { stdio: 'pipe' }).toString();
  control('-i', 'on');
  const ok = await sendRequests(`${url}${load.path}`, requests, connections, load);
  // The commands are taken up when the server next runs (vgdb cannot always interrupt a process idle in
  // epoll): one more request wakes it to dump, then switch off.
  control('-d');
  await fetch(`${url}${load.path}`, load).then((response) => response.arrayBuffer());
  control('-i', 'off');
  // The dump is written by the server's own thread: wait until a file with totals is there.
  const instructions = await waitFor('the callgrind dump', async () => {
    let most = 0;
    for (const file of readdirSync(run.workDir).filter((name) => name.startsWith('callgrind.out'))) {
      const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(run.workDir, file), 'utf8'));
      most = Math.max(most, Number(totals?.[1] ?? 0));
    }
    return most > 0 ? most : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  process.stdout.write(`${scenario}: ${ok} requests answered 2xx, ${Math.round(instructions / ok).toLocaleString('en-US')} instructions per request (user space, callgrind)\n`);
} finally {
  await run.cleanUp();
}
