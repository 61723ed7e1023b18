// System calls per request of one server, counted by `strace -c` over a fixed number of requests: with
// instruction counts (bench/instructions.ts, user space only), the other measure that a shared machine's load
// cannot move. A proxied call's kernel time is mostly its socket writes; this says how many it makes. Usage:
//   npx tsx bench/syscalls.ts proxy-bearer|proxy-api-key|token|introspect|bare-proxy [--requests 4000]
//     [--connections 50] [--keymint-root DIR] [--env NAME=VALUE …]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startChild } from './lib/children.js';
import { REPO_ROOT, startKeymint } from './lib/keymint.js';
import { envPairs, listening, profiledKeymint, profilingRun, scenarioRequests, sendRequests, startPeers } from './lib/profiling.js';

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
const connections = Number(flags.connections);
const run = profilingRun('syscalls');

try {
  const peers = await startPeers();
  const options = profiledKeymint(run.workDir, peers, envPairs(flags.env));
  const keymint = await startKeymint('keymint', {
    ...options,
    port: await freePort(),
    ...(flags['keymint-root'] && { root: flags['keymint-root'] }),
  });
  const { requests: loads } = await scenarioRequests(keymint.url, options.adminToken);

  let measured = keymint.child;
  let url = keymint.url;
  if (scenario === 'bare-proxy') {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    measured = startChild('bare proxy', process.execPath, ['--import', 'tsx', 'bench/servers/bare-proxy.ts'], {
      cwd: REPO_ROOT,
      env: { PORT: String(port), UPSTREAM_URL: peers.upstreamUrl },
    });
    await listening(url, measured);
  }
  const load = ['proxy-bearer', 'proxy-api-key', 'bare-proxy', 'token', 'introspect'].includes(scenario) ? loads[scenario] : undefined;
  if (!load) throw new Error(`unknown scenario ${scenario}; one of proxy-bearer, proxy-api-key, bare-proxy, token, introspect`);
  const probe = await fetch(`${url}${load.path}`, load);
  if (probe.status !== 200) throw new Error(`${scenario}: ${probe.status} ${await probe.text()}`);
  await sendRequests(`${url}${load.path}`, Number(flags.warmup), connections, load);

  const out = join(run.workDir, 'strace.txt');
  const strace = spawn('strace', ['-c', '-f', '-o', out, '-p', String(measured.pid)], { stdio: 'ignore' });
  // strace attaches to every thread before the load starts (it prints nothing to say so: give it a moment).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const ok = await sendRequests(`${url}${load.path}`, requests, connections, load);
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
  await run.cleanUp();
}
