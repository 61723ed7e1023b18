// Drives one hot path of one keymint for a while, for a profile: `--cpu-prof` (V8 sampling) or CPU µs per
// request from /proc, without the rest of `npm run bench`. Usage:
//   npx tsx bench/hot-path.ts proxy-bearer|proxy-api-key|token|introspect [--seconds 10] [--connections 50]
//     [--cpu-prof] [--log-level warn|info] [--keymint-root DIR] [--env NAME=VALUE …]
//     [--node-flag=--trace-gc …] [--keymint-output FILE]   (flags for keymint's node; all its output to FILE)
//     [--bundle]   (run the esbuild bundle `npm start` runs instead of src/ under tsx)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundle } from './lib/bundle.js';
import { freePort } from './lib/children.js';
import { REPO_ROOT, startKeymint } from './lib/keymint.js';
import { runLoad } from './lib/load.js';
import { watchCpu, watchForeignCpu } from './lib/machine.js';
import { envPairs, profiledKeymint, profilingRun, scenarioRequests, startPeers } from './lib/profiling.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'cpu-prof': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    'keymint-root': { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    // e.g. --node-flag=--trace-gc --keymint-output /tmp/gc.log (bench/README.md, round 6)
    'node-flag': { type: 'string', multiple: true, default: [] },
    'keymint-output': { type: 'string' },
    bundle: { type: 'boolean', default: false },
  },
});
const scenario = positionals[0] ?? 'proxy-bearer';
const seconds = Number(flags.seconds);
const connections = Number(flags.connections);
const profileDir = join(REPO_ROOT, 'bench', 'profiles');
const run = profilingRun('hot-path');

try {
  const peers = await startPeers();
  if (flags['cpu-prof']) mkdirSync(profileDir, { recursive: true });
  const bundle = flags.bundle ? await buildBundle(flags['keymint-root']) : undefined;
  if (bundle && 'error' in bundle) throw new Error(bundle.error);
  const options = profiledKeymint(run.workDir, peers, { KEYMINT_LOG_LEVEL: flags['log-level'], ...envPairs(flags.env) });
  const keymint = await startKeymint('keymint', {
    ...options,
    port: await freePort(),
    ...(flags['keymint-root'] && { root: flags['keymint-root'] }),
    nodeFlags: [...(flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...flags['node-flag']],
    ...(flags['keymint-output'] && { outputFile: flags['keymint-output'] }),
    ...(bundle && { bundle: bundle.entry }),
  });
  const { requests } = await scenarioRequests(keymint.url, options.adminToken);
  const request = ['proxy-bearer', 'proxy-api-key', 'token', 'introspect'].includes(scenario) ? requests[scenario] : undefined;
  if (!request) throw new Error(`unknown scenario ${scenario}; one of proxy-bearer, proxy-api-key, token, introspect`);
  const load = { ...request, url: `${keymint.url}${request.path}` };
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
  await run.cleanUp();
}
