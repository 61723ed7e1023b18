// `npm run bench`: keymint side by side with node-oidc-provider, a bare upstream and its own bare limit.
// Everything runs on 127.0.0.1 and is started (and killed) here; see bench/README.md for the scenarios.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AutocannonRequest } from 'autocannon';
import { Redis } from 'ioredis';
import { freePort, killAllChildrenNow, processTree, sampleRss, startChild, stopAllChildren, waitFor, type Child } from './lib/children.js';
import { basic, createJwtKeys, createKeys, REPO_ROOT, spawnKeymint, startKeymint, type Credential, type Keymint, type KeymintOptions } from './lib/keymint.js';
import { buildBundle } from './lib/bundle.js';
import { ASSERTION_TYPE, clientAssertion, createClientSigner, dpopProof } from './lib/client-proofs.js';
import { startNginx } from './lib/nginx.js';
import { runLoad, summarize, type LoadChunk, type LoadOptions, type LoadResult } from './lib/load.js';
import { loadAverage, machineLine, watchCpu, watchForeignCpu } from './lib/machine.js';
import { OPAQUE_RESOURCE } from './lib/peer-resources.js';
import { seedDatabase } from './seed.js';
import { findPostgresBin, startPostgresServer } from '../test/support/postgres-server.js';
import { hasRedisCluster, startRedisCluster } from '../test/support/redis-cluster.js';

const DEFAULT_DURATION = 10;
const DEFAULT_SCALE_KEYS = 1_000_000;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: String(DEFAULT_DURATION) },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    keys: { type: 'string', default: '100' },
    'scale-keys': { type: 'string', default: String(DEFAULT_SCALE_KEYS) },
    workers: { type: 'string', default: '2' },
    'cold-starts': { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    'keymint-root': { type: 'string' },
    'compare-root': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  process.stdout.write(`npm run bench -- [options]
  --duration N      seconds of measured load per side of each scenario (default ${DEFAULT_DURATION})
  --warmup N        seconds of unmeasured load before each measurement (default 3, 1 when --duration < 5)
  --connections N   concurrent connections (default 50)
  --keys N          API keys the load is spread over (default 100)
  --scale-keys N    filler keys in the scale scenario's database; 0 skips it (default ${DEFAULT_SCALE_KEYS})
  --workers N       KEYMINT_WORKERS for the cluster rows 1c, 1d, 3c; 0 or 1 skips them (default 2)
  --cold-starts N   cold starts to take the median of, per variant (default 5; 3 when --duration < 5)
  --only LIST       comma-separated scenario numbers, e.g. 1,6
  --profile         run keymint with --cpu-prof (profiles in bench/profiles/)
  --out FILE        where to write the markdown (default bench/results/<date>.md)
  --keymint-root D  run keymint from another checkout (a git worktree), for A/B comparisons
  --compare-root D  also run keymint from another checkout beside this one and measure the two in
                    alternating slices (rows 11–14: proxy, issuance, introspection)
`);
  process.exit(0);
}

const positive = (name: string, value: string, min = 0) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number < min) {
    process.stderr.write(`bench: --${name} must be a number ≥ ${min}\n`);
    process.exit(2);
  }
  return number;
};
const duration = positive('duration', flags.duration, 1);
const warmup = flags.warmup !== undefined ? positive('warmup', flags.warmup) : duration < 5 ? 1 : 3;
const connections = positive('connections', flags.connections, 1);
const keyCount = positive('keys', flags.keys, 1);
const scaleKeys = positive('scale-keys', flags['scale-keys']);
const workers = positive('workers', flags.workers);
const coldStarts = flags['cold-starts'] !== undefined ? positive('cold-starts', flags['cold-starts']) : duration < 5 ? 3 : 5;
const only = flags.only ? new Set(flags.only.split(',').map((s) => s.trim())) : undefined;
const wants = (scenario: string) => !only || only.has(scenario);
// `--only 4` also takes 4b, 4n and 4g; the cluster rows (1c, 1d, 3c) start a cluster and are asked for by name.
const wantsRow = (row: string) => wants(row) || (!['1c', '1d', '3c'].includes(row) && wants(row.replace(/\D+$/, '')));

// ---------------------------------------------------------------------------------------------
// Results

interface Side {
  label: string;
  result: LoadResult | undefined;
  /** Why there is no result ("n/a …"). */
  missing?: string;
  rssBytes?: number;
  foreignCpu?: number;
  /** CPU time the server's process tree spent per successful request, in µs. */
  cpuPerRequest?: number;
}

interface Row {
  scenario: string;
  keymint: Side;
  peer: Side;
  /** How the ratio column reads for this row. */
  ratio: (keymint: LoadResult, peer: LoadResult, keymintSide: Side, peerSide: Side) => string;
  note?: string;
}

const rows: Row[] = [];
const notes: string[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

const fmtRate = (side: Side) => (side.result ? Math.round(side.result.requestsPerSecond).toLocaleString('en-US') : (side.missing ?? 'n/a'));
const fmtMs = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const fmtLatency = (side: Side) => (side.result ? `${fmtMs(side.result.p50Ms)} / ${fmtMs(side.result.p99Ms)}` : 'n/a');
const fmtRss = (side: Side) => (side.rssBytes ? `${Math.round(side.rssBytes / 1048576)} MiB` : 'n/a');
const rateRatio = (k: LoadResult, p: LoadResult) => `${(k.requestsPerSecond / p.requestsPerSecond).toFixed(2)}×`;
/** The CPU per request the keymint side spends beyond the peer's. */
const addedCpu = (_k: LoadResult, _p: LoadResult, keymintSide: Side, peerSide: Side) => {
  if (keymintSide.cpuPerRequest === undefined || peerSide.cpuPerRequest === undefined) return 'n/a';
  const added = Math.round(keymintSide.cpuPerRequest - peerSide.cpuPerRequest);
  return `${added >= 0 ? '+' : '−'}${Math.abs(added)} µs CPU/req`;
};

// ---------------------------------------------------------------------------------------------
// Set-up

const workDir = mkdtempSync(join(tmpdir(), 'keymint-bench-'));
const profileDir = join(REPO_ROOT, 'bench', 'profiles');
const adminToken = `bench_root_${randomBytes(24).toString('base64url')}`;
const pepper = randomBytes(32).toString('base64url');
const kek = randomBytes(32).toString('base64url');
const tokenBody = 'grant_type=client_credentials&scope=read+write';
const form = { 'content-type': 'application/x-www-form-urlencoded' };
let redis: Redis | undefined;

/** PostgreSQL and Redis Cluster of rows 15 and 16 (not children of startChild), for cleanUp. */
const stopEngines: (() => Promise<void>)[] = [];

let cleaningUp: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    redis?.disconnect();
    await Promise.all([stopAllChildren(), ...stopEngines.map((stop) => stop().catch(() => undefined))]);
    rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaningUp;
}
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanUp().then(() => process.exit(143)));
process.on('exit', () => killAllChildrenNow());

async function startRedis(): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = startChild('redis-server', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
  ]);
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  await waitFor('redis-server to answer PING', async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG' ? true : undefined;
    } catch {
      probe.disconnect();
      return undefined;
    }
  }, { child });
  probe.disconnect();
  return { url, child };
}

/**
 * PostgreSQL and a 6-node Redis Cluster for rows 15 and 16, started as the test fixtures start them (their
 * helpers), or why not when the binaries are absent.
 */
async function startSharedEngines(): Promise<{ postgresUrl: string; clusterNodes: string; stop(): Promise<void> } | { missing: string }> {
  if (!findPostgresBin()) return { missing: 'no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install -y postgresql-15)' };
  if (!hasRedisCluster()) return { missing: 'no redis-server/redis-cli for a Redis Cluster (apt-get install -y redis-server)' };
  const [postgresResult, clusterResult] = await Promise.allSettled([startPostgresServer(), startRedisCluster()]);
  const stop = async () => {
    await Promise.all([
      postgresResult.status === 'fulfilled' ? postgresResult.value.destroy() : undefined,
      clusterResult.status === 'fulfilled' ? clusterResult.value.stop() : undefined,
    ]);
  };
  if (postgresResult.status === 'rejected' || clusterResult.status === 'rejected') {
    await stop();
    throw postgresResult.status === 'rejected' ? postgresResult.reason : (clusterResult as PromiseRejectedResult).reason;
  }
  stopEngines.push(stop);
  return { postgresUrl: postgresResult.value.url, clusterNodes: clusterResult.value.nodes.join(','), stop };
}

async function startServer(name: string, script: string, env: Record<string, string>): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = startChild(name, process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { NODE_ENV: 'production', PORT: String(port), ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${name} to listen`, async () => ((await fetch(url).catch(() => undefined)) ? true : undefined), { child, timeoutMs: 120_000 });
  return { url, child };
}

function tokenRequests(credentials: Credential[], path: string) {
  return credentials.map((c) => ({
    method: 'POST',
    path,
    headers: { ...form, authorization: basic(c.applicationId, c.applicationSecret) },
    body: tokenBody,
  }));
}

function decodeJwtHeader(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string' || token.split('.').length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * One token request that must answer 200 with an ES256 JWT access token (of `tokenType` when given), or the run stops
 * with a clear message.
 */
async function checkToken(name: string, url: string, request: { headers?: Record<string, string>; body?: string }, tokenType?: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  let answer: { access_token?: unknown; token_type?: unknown } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // reported below
  }
  const header = decodeJwtHeader(answer.access_token);
  if (response.status !== 200 || !header || header.alg !== 'ES256' || (tokenType !== undefined && answer.token_type !== tokenType)) {
    const what = `an ES256 JWT access token${tokenType ? ` of type ${tokenType}` : ''}`;
    throw new Error(`${name}: expected 200 with ${what} from ${url}, got ${response.status}: ${text.slice(0, 300)}`);
  }
  return answer.access_token as string;
}

/** checkToken for `credential` with client_secret_basic. */
function checkTokenEndpoint(name: string, url: string, credential: Credential, body = tokenBody): Promise<string> {
  return checkToken(name, url, { headers: { ...form, authorization: basic(credential.applicationId, credential.applicationSecret) }, body });
}

const proxied = (base: string) => `${base}/sandbox/api/v1/items?limit=10`;

/** One proxied GET that must answer 200 (and carry `header` when given), or the run stops with a clear message. */
async function checkProxy(name: string, url: string, headers: Record<string, string>, header?: string): Promise<void> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200 || (header !== undefined && !response.headers.has(header))) {
    throw new Error(`${name}: expected 200${header ? ` with ${header}` : ''} from GET ${url}, got ${response.status}: ${text.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring

async function flushRedis(): Promise<void> {
  await redis!.flushall();
}

interface Contender {
  label: string;
  load: Omit<LoadOptions, 'seconds'>;
  /** The server process, for its CPU time and peak RSS. */
  pid?: number;
}

/**
 * Measures several servers against each other: after a warm-up of each, `--duration` seconds per server,
 * taken in short alternating slices (order reversed every round), so that a change in the machine's other
 * load hits every contender alike instead of whichever happened to run at the time.
 */
async function measureGroup(contenders: Contender[]): Promise<Side[]> {
  for (const contender of contenders) {
    if (warmup > 0) await runLoad({ connections, ...contender.load, seconds: warmup });
  }
  const rounds = Math.max(1, Math.min(5, Math.floor(duration / 2)));
  const state = contenders.map(() => ({ chunks: [] as LoadChunk[], cpuMicros: 0, rssBytes: 0, foreign: 0 }));
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const contender = contenders[index]!;
      const rss = contender.pid ? sampleRss(contender.pid) : undefined;
      const cpu = contender.pid ? watchCpu(contender.pid) : undefined;
      const foreign = watchForeignCpu();
      const chunk = await runLoad({ connections, ...contender.load, seconds: duration / rounds });
      const entry = state[index]!;
      entry.chunks.push(chunk);
      entry.cpuMicros += cpu?.stop() ?? 0;
      entry.rssBytes = Math.max(entry.rssBytes, rss?.stop() ?? 0);
      entry.foreign += foreign.stop() * chunk.seconds;
    }
  }
  return contenders.map((contender, index) => {
    const entry = state[index]!;
    const result = summarize(entry.chunks);
    const seconds = entry.chunks.reduce((sum, chunk) => sum + chunk.seconds, 0);
    const side: Side = {
      label: contender.label,
      result,
      rssBytes: entry.rssBytes || undefined,
      foreignCpu: seconds > 0 ? entry.foreign / seconds : 0,
      cpuPerRequest: contender.pid && result.ok > 0 ? entry.cpuMicros / result.ok : undefined,
    };
    const statuses = Object.entries(result.statusCounts).map(([code, n]) => `${code}×${n}`).join(' ');
    log(`  ${contender.label}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${fmtMs(result.p50Ms)} ms, p99 ${fmtMs(result.p99Ms)} ms, ` +
        `${side.cpuPerRequest !== undefined ? `${Math.round(side.cpuPerRequest)} µs CPU/req ` : ''}[${statuses}]` +
        `${result.failed ? ` — ${result.failed} failed` : ''}${side.foreignCpu! > 0.1 ? ` — other processes used ${Math.round(side.foreignCpu! * 100)}% CPU` : ''}`);
    if (result.failed > 0) notes.push(`${contender.label}: ${result.failed} of ${result.ok + result.failed} requests failed (${statuses}).`);
    if (result.ok === 0) return { ...side, result: undefined, missing: 'failed' };
    return side;
  });
}

function missing(label: string, why: string): Side {
  return { label, result: undefined, missing: why };
}

// ---------------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Spawn to the first 200 from the token endpoint, on an existing database (no first-run key generation),
 * and the resident memory right then.
 */
async function coldStart(options: KeymintOptions, credential: Credential): Promise<{ ms: number; rssBytes: number }> {
  const started = performance.now();
  const child = spawnKeymint('keymint (cold start)', options);
  const url = `http://127.0.0.1:${options.port}/sandbox/oauth/token`;
  const init = { method: 'POST', headers: { ...form, authorization: basic(credential.applicationId, credential.applicationSecret) }, body: tokenBody };
  try {
    await waitFor('keymint to mint its first token', async () => {
      const response = await fetch(url, init).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    }, { child, intervalMs: 2, timeoutMs: 30_000 });
    const ms = performance.now() - started;
    return { ms, rssBytes: sampleRss(child.pid).stop() };
  } finally {
    await child.stop();
  }
}

interface ColdStarts {
  label: string;
  runs: { ms: number; rssBytes: number }[];
  missing?: string;
}

function gitRevision(): Promise<string> {
  return new Promise((resolve) => {
    const git = spawn('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT });
    let out = '';
    git.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    git.on('close', () => resolve(out.trim() || 'unknown'));
    git.on('error', () => resolve('unknown'));
  });
}

// The commit measured: read at the start, so one made while the run goes on (a results file) is not named instead.
const measuredRevision = gitRevision();

async function main(): Promise<void> {
  const machine = machineLine();
  log(`keymint benchmarks — ${machine}; load average ${loadAverage()}`);
  log(`${duration} s per server (+${warmup} s warm-up) in alternating slices, ${connections} connections, ${keyCount} keys`);
  if (flags.profile) mkdirSync(profileDir, { recursive: true });

  const redisServer = await startRedis();
  redis = new Redis(redisServer.url);
  const upstream = await startServer('upstream', 'bench/servers/upstream.ts', {});

  const base = {
    redisUrl: redisServer.url,
    adminToken,
    pepper,
    kek,
    upstream: upstream.url,
    ...(flags['keymint-root'] && { root: flags['keymint-root'] }),
    nodeFlags: flags.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  };
  const mainOptions: KeymintOptions = { ...base, port: await freePort(), database: join(workDir, 'keymint.db'), issuanceCache: false };
  log('starting keymint (issuance cache off) and creating keys…');
  const keymint: Keymint = await startKeymint('keymint', mainOptions);
  const credentials = await createKeys(keymint.url, adminToken, keyCount);
  const credentialsFile = join(workDir, 'credentials.json');
  writeFileSync(credentialsFile, JSON.stringify(credentials));

  log('starting oidc-provider and the two floors of scenario 1…');
  const floorEnv = { CREDENTIALS_FILE: credentialsFile, PEPPER: pepper, REDIS_URL: redisServer.url };
  const [peer, bare, raw] = await Promise.all([
    startServer('oidc-provider', 'bench/servers/oidc-peer.ts', { CREDENTIALS_FILE: credentialsFile }),
    startServer('bare limit', 'bench/servers/bare-limit.ts', floorEnv),
    startServer('raw limit', 'bench/servers/raw-limit.ts', floorEnv),
  ]);
  // --compare-root: the same keymint from another checkout, on the same database and Redis (rows 11–14).
  const compare = flags['compare-root']
    ? await startKeymint('keymint (compare)', { ...mainOptions, port: await freePort(), root: flags['compare-root'] })
    : undefined;
  const compareLabel = `keymint at ${flags['compare-root']}`;

  const keymintToken = `${keymint.url}/sandbox/oauth/token`;
  const peerToken = `${peer.url}/token`;
  const bareToken = `${bare.url}/sandbox/oauth/token`;
  // Before measuring anything: every contender answers 200 with an ES256 JWT.
  await checkTokenEndpoint('keymint', keymintToken, credentials[0]!);
  await checkTokenEndpoint('oidc-provider', peerToken, credentials[0]!);
  await checkTokenEndpoint('bare limit', bareToken, credentials[0]!);
  const rawToken = `${raw.url}/sandbox/oauth/token`;
  await checkTokenEndpoint('raw limit', rawToken, credentials[0]!);
  const compareToken = compare && `${compare.url}/sandbox/oauth/token`;
  if (compareToken) await checkTokenEndpoint(compareLabel, compareToken, credentials[0]!);

  const tokenLoad = (url: string) => ({ url, requests: tokenRequests(credentials, new URL(url).pathname) });
  const keymintContender = { label: 'keymint, cache off', load: tokenLoad(keymintToken), pid: keymint.child.pid };
  const rateChange = (k: LoadResult, p: LoadResult) => {
    const change = (k.requestsPerSecond / p.requestsPerSecond - 1) * 100;
    return `${change >= 0 ? '+' : '−'}${Math.abs(change).toFixed(1)}%`;
  };

  // 1 and 6: keymint, oidc-provider and the bare limit, interleaved.
  const shareOf = (what: string) => (k: LoadResult, p: LoadResult) => `${Math.round((k.requestsPerSecond / p.requestsPerSecond) * 100)}% of ${what}`;
  if (['1', '6', '6f', '6r', '13'].some(wantsRow)) {
    log('1 and 6. token issuance, cache off: keymint, oidc-provider, the bare limit (hono) and the raw limit (node:http)');
    await flushRedis();
    const [k, p, b, r, c] = await measureGroup([
      keymintContender,
      { label: 'oidc-provider', load: tokenLoad(peerToken), pid: peer.child.pid },
      { label: 'bare limit (@hono/node-server)', load: tokenLoad(bareToken), pid: bare.child.pid },
      { label: 'raw limit (node:http)', load: tokenLoad(rawToken), pid: raw.child.pid },
      ...(compare && wantsRow('13') ? [{ label: compareLabel, load: tokenLoad(compareToken!), pid: compare.child.pid }] : []),
    ]);
    if (wantsRow('1')) rows.push({ scenario: '1. Token issuance, cache off (peer: oidc-provider)', keymint: k!, peer: p!, ratio: rateRatio });
    if (wantsRow('6')) rows.push({ scenario: '6. Bare limit of scenario 1 (peer: bare hono handler)', keymint: k!, peer: b!, ratio: shareOf('bare') });
    if (wantsRow('6f')) {
      rows.push({ scenario: '6f. The framework layer: bare hono handler (peer: raw node:http floor)', keymint: b!, peer: r!, ratio: shareOf('raw') });
    }
    if (wantsRow('6r')) rows.push({ scenario: '6r. Raw floor of scenario 1 (peer: raw node:http floor)', keymint: k!, peer: r!, ratio: shareOf('raw') });
    if (c) rows.push({ scenario: `13. A/B: token issuance, cache off (peer: ${compareLabel})`, keymint: k!, peer: c, ratio: rateRatio });
  }

  // 1c/1d/3c. Cluster mode, when the runtime supports KEYMINT_WORKERS: the workers against oidc-provider
  // (which also spreads its work over threads: WebCrypto runs on libuv's pool) and against one process.
  const workersNamed = `\`KEYMINT_WORKERS=${workers}\``;
  const clusterRows = [
    ['1c', `1c. Token issuance, cache off, ${workersNamed} (peer: oidc-provider)`],
    ['1d', `1d. Token issuance, cache off, ${workersNamed} (peer: keymint, one process)`],
    ['3c', `3c. Introspection, ${workersNamed} (peer: oidc-provider)`],
  ] as const;
  let clustered: Keymint | undefined;
  if (workers > 1 && clusterRows.some(([number]) => wants(number))) {
    clustered = await startKeymint('keymint (cluster)', { ...mainOptions, port: await freePort(), workers });
    // Workers fork after start-up; give them a moment, then see whether this build forks at all.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (processTree(clustered.child.pid).length < 2) {
      log('   this build ignores KEYMINT_WORKERS (one process): cluster rows are n/a');
      for (const [number, scenario] of clusterRows) {
        if (wants(number)) rows.push({ scenario, keymint: missing('keymint cluster', 'n/a (no cluster mode)'), peer: missing('peer', 'not run'), ratio: rateRatio });
      }
      await clustered.stop();
      clustered = undefined;
    }
  }
  if (clustered && (wants('1c') || wants('1d'))) {
    log(`1c/1d. token issuance, cache off, KEYMINT_WORKERS=${workers} vs oidc-provider and one process`);
    await flushRedis();
    const [many, oidc, one] = await measureGroup([
      { label: `keymint ×${workers} workers`, load: tokenLoad(`${clustered.url}/sandbox/oauth/token`), pid: clustered.child.pid },
      { label: 'oidc-provider', load: tokenLoad(peerToken), pid: peer.child.pid },
      keymintContender,
    ]);
    if (wants('1c')) rows.push({ scenario: clusterRows[0][1], keymint: many!, peer: oidc!, ratio: rateRatio });
    if (wants('1d')) rows.push({ scenario: clusterRows[1][1], keymint: many!, peer: one!, ratio: rateRatio });
  }

  // 3 (and 3c). Introspection
  if (wantsRow('3') || (clustered && wants('3c')) || (compare && wantsRow('14'))) {
    log('3. introspection');
    await flushRedis();
    const caller = credentials[0]!;
    const keymintLive = await checkTokenEndpoint('keymint', keymintToken, caller);
    const peerResponse = await fetch(peerToken, {
      method: 'POST',
      headers: { ...form, authorization: basic(caller.applicationId, caller.applicationSecret) },
      body: `${tokenBody}&resource=${encodeURIComponent(OPAQUE_RESOURCE)}`,
    });
    const peerLive = ((await peerResponse.json()) as { access_token: string }).access_token;
    const introspect = (url: string, token: string) => ({
      url,
      method: 'POST',
      headers: { ...form, authorization: basic(caller.applicationId, caller.applicationSecret) },
      body: `token=${encodeURIComponent(token)}`,
    });
    const keymintLoad = introspect(`${keymint.url}/sandbox/oauth/introspect`, keymintLive);
    const peerLoad = introspect(`${peer.url}/token/introspection`, peerLive);
    for (const [name, options] of [['keymint', keymintLoad], ['oidc-provider', peerLoad]] as const) {
      const answer = await fetch(options.url, { method: 'POST', headers: options.headers, body: options.body });
      const body = (await answer.json().catch(() => ({}))) as { active?: boolean };
      if (answer.status !== 200 || body.active !== true) throw new Error(`${name}: introspection of a live token did not answer active:true (${answer.status} ${JSON.stringify(body)})`);
    }
    // A token of the compared keymint's own issuer (its public URL differs).
    const compareLoad = compare && wantsRow('14')
      ? introspect(`${compare.url}/sandbox/oauth/introspect`, await checkTokenEndpoint(compareLabel, compareToken!, caller))
      : undefined;
    if (wantsRow('3') || compareLoad) {
      const [k, p, c] = await measureGroup([
        { label: 'keymint introspection', load: keymintLoad, pid: keymint.child.pid },
        { label: 'oidc-provider introspection', load: peerLoad, pid: peer.child.pid },
        ...(compareLoad ? [{ label: `${compareLabel}, introspection`, load: compareLoad, pid: compare!.child.pid }] : []),
      ]);
      if (wantsRow('3')) rows.push({ scenario: '3. Introspection, RFC 7662 (peer: oidc-provider)', keymint: k!, peer: p!, ratio: rateRatio });
      if (c) rows.push({ scenario: `14. A/B: introspection (peer: ${compareLabel})`, keymint: k!, peer: c, ratio: rateRatio });
    }
    if (clustered && wants('3c')) {
      // A token of the cluster's own issuer (its public URL differs from row 3's keymint).
      const clusterLive = await checkTokenEndpoint('keymint (cluster)', `${clustered.url}/sandbox/oauth/token`, caller);
      const clusterLoad = introspect(`${clustered.url}/sandbox/oauth/introspect`, clusterLive);
      const answer = await fetch(clusterLoad.url, { method: 'POST', headers: clusterLoad.headers, body: clusterLoad.body });
      const body = (await answer.json().catch(() => ({}))) as { active?: boolean };
      if (answer.status !== 200 || body.active !== true) throw new Error(`keymint (cluster): introspection of a live token did not answer active:true (${answer.status} ${JSON.stringify(body)})`);
      const [many, p] = await measureGroup([
        { label: `keymint introspection ×${workers} workers`, load: clusterLoad, pid: clustered.child.pid },
        { label: 'oidc-provider introspection', load: peerLoad, pid: peer.child.pid },
      ]);
      rows.push({ scenario: clusterRows[2][1], keymint: many!, peer: p!, ratio: rateRatio });
    }
  }
  await Promise.all([peer.child.stop(), bare.child.stop(), raw.child.stop(), clustered?.stop()]);

  // 4, 5, 8, 9 (and 11, 12). The reverse proxy, when it exists, beside a bare node:http proxy and nginx in
  // front of the same upstream, all measured in one group per connection count.
  const proxyRows = ['4', '4b', '4n', '4g', '5', '5b', '5n', '5g', '8', '8b', '9', '9b', '11', '12'];
  if (proxyRows.some(wantsRow)) {
    const direct = `${upstream.url}/v1/items?limit=10`;
    const caller = credentials[0]!;
    const bearer = await checkTokenEndpoint('keymint', keymintToken, caller);
    const probe = await fetch(proxied(keymint.url), { headers: { authorization: `Bearer ${bearer}` } });
    const proxyBuilt = probe.status === 200;
    await probe.arrayBuffer();
    const addedP50 = (k: LoadResult, p: LoadResult) => `${k.p50Ms >= p.p50Ms ? '+' : '−'}${fmtMs(Math.abs(k.p50Ms - p.p50Ms))} ms p50`;
    const ways = [
      ['4', 'bearer token', { authorization: `Bearer ${bearer}` }],
      ['5', '`Api-Key` header', { 'api-key': caller.applicationSecret }],
    ] as const;
    if (!proxyBuilt) {
      log(`4/5. proxy: GET ${proxied(keymint.url)} answered ${probe.status}; proxy rows are n/a`);
      notes.push(`Proxy rows: keymint answered ${probe.status} on /sandbox/api/* — the reverse proxy is not built yet.`);
      const na = 'n/a (proxy not built yet)';
      for (const [number, how] of ways) {
        if (wantsRow(number)) rows.push({ scenario: `${number}. Proxy GET, ${how} (peer: upstream direct)`, keymint: missing('keymint proxy', na), peer: missing('upstream', na), ratio: addedP50 });
      }
    } else {
      const bareProxy = await startServer('bare proxy', 'bench/servers/bare-proxy.ts', { UPSTREAM_URL: upstream.url });
      const nginx = await startNginx(join(workDir, 'nginx'), upstream.url);
      if ('missing' in nginx) {
        log(`   nginx rows skipped: ${nginx.missing}`);
        notes.push(`nginx rows (4g, 5g, 9, 9b) skipped: ${nginx.missing}.`);
      }
      const nginxUrl = 'url' in nginx ? nginx.url : undefined;
      // The compared checkout's tokens carry its own issuer.
      const compareBearer = compare && (wantsRow('11') || wantsRow('12')) ? await checkTokenEndpoint(compareLabel, compareToken!, caller) : undefined;
      // At 50 connections the added latency is mostly queueing (p50 ≈ connections / rate); one connection
      // shows what each proxy adds to a single call.
      for (const [suffix, count] of [['', connections], ['b', 1]] as const) {
        const group = suffix ? ['4b', '5b', '8b', '9b'] : ['4', '4n', '4g', '5', '5n', '5g', '8', '9', '11', '12'];
        if (!group.some(wantsRow)) continue;
        log(`4${suffix}/5${suffix}/8${suffix}/9${suffix}. proxies vs straight to the upstream, ${count} connection(s)`);
        const at = suffix ? ', 1 connection' : '';
        const contenders: (Contender & { id: string })[] = [
          { id: 'direct', label: `upstream, direct, ${count} conn.`, load: { url: direct, connections: count }, pid: upstream.child.pid },
          { id: 'bare', label: `bare node:http proxy, ${count} conn.`, load: { url: `${bareProxy.url}/v1/items?limit=10`, connections: count }, pid: bareProxy.child.pid },
          ...(nginxUrl && 'child' in nginx
            ? [{ id: 'nginx', label: `nginx, ${count} conn.`, load: { url: `${nginxUrl}/v1/items?limit=10`, connections: count }, pid: nginx.child.pid }]
            : []),
          ...ways.map(([number, how, headers]) => ({
            id: number,
            label: `keymint proxy, ${how}, ${count} conn.`,
            load: { url: proxied(keymint.url), headers, connections: count },
            pid: keymint.child.pid,
          })),
          ...(compare && !suffix && compareBearer
            ? [
                { id: '11', label: `${compareLabel}, proxy, bearer`, load: { url: proxied(compare.url), headers: { authorization: `Bearer ${compareBearer}` }, connections: count }, pid: compare.child.pid },
                { id: '12', label: `${compareLabel}, proxy, Api-Key`, load: { url: proxied(compare.url), headers: { 'api-key': caller.applicationSecret }, connections: count }, pid: compare.child.pid },
              ]
            : []),
        ];
        const sides = await measureGroup(contenders);
        const side = (id: string) => sides[contenders.findIndex((contender) => contender.id === id)];
        const push = (id: string, scenario: string, keymintSide: Side | undefined, peerSide: Side | undefined, ratio: Row['ratio']) => {
          if (wantsRow(id) && keymintSide && peerSide) rows.push({ scenario: `${id}. ${scenario}`, keymint: keymintSide, peer: peerSide, ratio });
        };
        for (const [number, how] of ways) {
          push(`${number}${suffix}`, `Proxy GET, ${how}${at} (peer: upstream direct)`, side(number), side('direct'), addedP50);
          if (!suffix) {
            push(`${number}n`, `Proxy GET, ${how} (peer: bare node:http proxy)`, side(number), side('bare'), shareOf('bare proxy'));
            push(`${number}g`, `Proxy GET, ${how} (peer: nginx)`, side(number), side('nginx'), shareOf('nginx'));
          }
        }
        push(`8${suffix}`, `Bare node:http proxy${at} (peer: upstream direct)`, side('bare'), side('direct'), addedP50);
        push(`9${suffix}`, `nginx${at} (peer: upstream direct)`, side('nginx'), side('direct'), addedP50);
        if (!suffix) {
          push('11', `A/B: proxy GET, bearer token (peer: ${compareLabel})`, side('4'), side('11'), rateRatio);
          push('12', `A/B: proxy GET, \`Api-Key\` header (peer: ${compareLabel})`, side('5'), side('12'), rateRatio);
        }
      }
      await Promise.all([bareProxy.child.stop(), 'child' in nginx ? nginx.child.stop() : undefined]);
    }
  }

  // 10. sessionAuth (keymint/verify) in a plain Hono app against the same app without it, one token throughout.
  if (wantsRow('10')) {
    log('10. sessionAuth in a plain Hono app vs the same app without it');
    const issuer = `${keymint.url}/sandbox`;
    const [withAuth, without] = await Promise.all([
      startServer('hono app with sessionAuth', 'bench/servers/session-auth-app.ts', { SESSION_AUTH: 'on', ISSUER: issuer }),
      startServer('hono app without sessionAuth', 'bench/servers/session-auth-app.ts', { SESSION_AUTH: 'off', ISSUER: issuer }),
    ]);
    const headers = { authorization: `Bearer ${await checkTokenEndpoint('keymint', keymintToken, credentials[0]!)}` };
    for (const [name, server] of [['with sessionAuth', withAuth], ['without sessionAuth', without]] as const) {
      const answer = await fetch(`${server.url}/v1/items`, { headers });
      if (answer.status !== 200) throw new Error(`hono app ${name}: expected 200, got ${answer.status}: ${(await answer.text()).slice(0, 300)}`);
    }
    const [k, p] = await measureGroup([
      { label: 'hono app with sessionAuth', load: { url: `${withAuth.url}/v1/items`, headers }, pid: withAuth.child.pid },
      { label: 'hono app without sessionAuth', load: { url: `${without.url}/v1/items`, headers }, pid: without.child.pid },
    ]);
    rows.push({
      scenario: '10. `sessionAuth` (keymint/verify) in a plain Hono app, the same token every request (peer: the same app without it)',
      keymint: k!,
      peer: p!,
      ratio: addedCpu,
    });
    await Promise.all([withAuth.child.stop(), without.child.stop()]);
  }

  // 15, 16. The engines several nodes share: keymint on PostgreSQL + a 6-node Redis Cluster (started here, as the test
  // fixtures start them), against row 1's keymint on SQLite + one Redis, one node each.
  if (['15', '16', '16k'].some(wants)) {
    const engines = await startSharedEngines();
    if ('missing' in engines) {
      log(`15/16. PostgreSQL + Redis Cluster rows skipped: ${engines.missing}`);
      notes.push(`Rows 15, 16, 16k skipped: ${engines.missing}.`);
    } else {
      log('15/16. keymint on PostgreSQL + Redis Cluster vs SQLite + one Redis: token issuance, proxy GET');
      const shared = await startKeymint('keymint (PostgreSQL + Redis Cluster)', {
        ...mainOptions,
        port: await freePort(),
        database: engines.postgresUrl,
        redisUrl: '',
        extraEnv: { REDIS_CLUSTER_NODES: engines.clusterNodes },
      });
      try {
        const sharedCredentials = await createKeys(shared.url, adminToken, keyCount);
        const sharedToken = `${shared.url}/sandbox/oauth/token`;
        const sharedLabel = 'keymint, PostgreSQL + Redis Cluster';
        const singleLabel = 'keymint, SQLite + one Redis';
        if (wants('15')) {
          await checkTokenEndpoint(sharedLabel, sharedToken, sharedCredentials[0]!);
          await flushRedis();
          // Each engine alone, to tell their costs apart: PostgreSQL with one Redis (the keys made on the shared
          // database), SQLite with the Cluster (row 1's database and keys).
          const pgOne = await startKeymint('keymint (PostgreSQL + one Redis)', { ...mainOptions, port: await freePort(), database: engines.postgresUrl });
          const sqliteCluster = await startKeymint('keymint (SQLite + Redis Cluster)', {
            ...mainOptions,
            port: await freePort(),
            redisUrl: '',
            extraEnv: { REDIS_CLUSTER_NODES: engines.clusterNodes },
          });
          try {
            const tokenContender = (label: string, server: Keymint, keys: Credential[]): Contender => ({
              label,
              load: { url: `${server.url}/sandbox/oauth/token`, requests: tokenRequests(keys, '/sandbox/oauth/token') },
              pid: server.child.pid,
            });
            const [k, p, pg, cluster] = await measureGroup([
              tokenContender(sharedLabel, shared, sharedCredentials),
              { ...keymintContender, label: singleLabel },
              tokenContender('keymint, PostgreSQL + one Redis', pgOne, sharedCredentials),
              tokenContender('keymint, SQLite + Redis Cluster', sqliteCluster, credentials),
            ]);
            const scenario = (id: string, engines: string) => `${id}. Token issuance, cache off, on ${engines} (peer: SQLite + one Redis)`;
            rows.push({ scenario: scenario('15', 'PostgreSQL + Redis Cluster'), keymint: k!, peer: p!, ratio: shareOf('SQLite + one Redis') });
            rows.push({ scenario: scenario('15p', 'PostgreSQL + one Redis'), keymint: pg!, peer: p!, ratio: shareOf('SQLite + one Redis') });
            rows.push({ scenario: scenario('15c', 'SQLite + Redis Cluster'), keymint: cluster!, peer: p!, ratio: shareOf('SQLite + one Redis') });
          } finally {
            await Promise.all([pgOne.stop(), sqliteCluster.stop()]);
          }
        }
        for (const [id, how] of [['16', 'bearer token'], ['16k', '`Api-Key` header']] as const) {
          if (!wants(id)) continue;
          const headers = async (label: string, token: string, credential: Credential): Promise<Record<string, string>> =>
            id === '16' ? { authorization: `Bearer ${await checkTokenEndpoint(label, token, credential)}` } : { 'api-key': credential.applicationSecret };
          const sharedHeaders = await headers(sharedLabel, sharedToken, sharedCredentials[0]!);
          const singleHeaders = await headers(singleLabel, keymintToken, credentials[0]!);
          await checkProxy(sharedLabel, proxied(shared.url), sharedHeaders);
          const [k, p] = await measureGroup([
            { label: `${sharedLabel}, proxy, ${how}`, load: { url: proxied(shared.url), headers: sharedHeaders }, pid: shared.child.pid },
            { label: `${singleLabel}, proxy, ${how}`, load: { url: proxied(keymint.url), headers: singleHeaders }, pid: keymint.child.pid },
          ]);
          rows.push({ scenario: `${id}. Proxy GET, ${how}, on PostgreSQL + Redis Cluster (peer: SQLite + one Redis)`, keymint: k!, peer: p!, ratio: shareOf('SQLite + one Redis') });
        }
      } finally {
        await shared.stop();
        await engines.stop();
      }
    }
  }

  // 2. Issuance cache on: its own process (the cache is configuration) on the same database, next to row 1's.
  if (wants('2')) {
    log('2. token issuance, issuance cache on vs off');
    const cached = await startKeymint('keymint (cache on)', { ...mainOptions, port: await freePort(), issuanceCache: true });
    await flushRedis();
    const [on, off] = await measureGroup([
      { label: 'keymint, cache on', load: tokenLoad(`${cached.url}/sandbox/oauth/token`), pid: cached.child.pid },
      keymintContender,
    ]);
    await cached.stop();
    rows.push({ scenario: '2. Token issuance, issuance cache on (peer: keymint, cache off)', keymint: on!, peer: off!, ratio: rateRatio });
  }

  // 7. Scale: the same load against a database holding scale-keys filler keys, next to the small one.
  if (wants('7') && scaleKeys > 0) {
    const cacheDir = join(REPO_ROOT, 'bench', '.cache');
    mkdirSync(cacheDir, { recursive: true });
    log(`7. scale: seeding (or reusing) a database with ${scaleKeys.toLocaleString('en-US')} keys…`);
    const seeded = seedDatabase(join(cacheDir, `scale-${scaleKeys}.db`), scaleKeys);
    log(`   ${seeded.reused ? 'reused the cached database' : `seeded in ${seeded.seconds.toFixed(1)} s`}`);
    const scaleDb = join(workDir, 'scale.db');
    copyFileSync(seeded.path, scaleDb);
    const big = await startKeymint('keymint (scale)', { ...mainOptions, port: await freePort(), database: scaleDb });
    const bigCredentials = await createKeys(big.url, adminToken, keyCount);
    const bigToken = `${big.url}/sandbox/oauth/token`;
    await checkTokenEndpoint('keymint (scale)', bigToken, bigCredentials[0]!);
    await flushRedis();
    const [large, small] = await measureGroup([
      { label: `keymint, ${scaleKeys.toLocaleString('en-US')} keys`, load: { url: bigToken, requests: tokenRequests(bigCredentials, '/sandbox/oauth/token') }, pid: big.child.pid },
      { ...keymintContender, label: `keymint, ${keyCount} keys` },
    ]);
    await big.stop();
    rows.push({
      scenario: `7. Scale: ${scaleKeys.toLocaleString('en-US')} keys in the database (peer: ${keyCount} keys)`,
      keymint: large!,
      peer: small!,
      ratio: rateChange,
    });
  }

  // 17, 17k, 18. What the gateway of SPEC §7 adds to a proxied call: a key with a rate limit (one Redis script per
  // call) against the same calls with a key without one, by bearer token and `Api-Key`; and keymint with three services
  // configured (the call matched two segments deep) against row 4's one upstream. The rate limit is far above any rate
  // this machine reaches, so it never refuses: what is measured is the counting. Rows 17–20 run after row 7, whose
  // peer is row 1's database with its `--keys` keys: they add keys to it.
  if (['17', '17k', '18'].some(wantsRow)) {
    log('17/18. proxy GET: a key with a rate limit vs one without; three services vs one upstream');
    const plain = credentials[0]!;
    const [limited] = await createKeys(keymint.url, adminToken, 1, { rateLimit: { requests: 1_000_000, windowSeconds: 60 } });
    const services = [
      { name: 'items', path: '/v1/items', upstream: upstream.url },
      { name: 'orders', path: '/v1/orders', upstream: upstream.url, audience: 'https://bench.keymint.test/orders' },
      { name: 'everything-else', path: '/', upstream: upstream.url },
    ];
    // Row 18 compares the two tables inside one process: sandbox has the three services, production one service at
    // `/`, the same upstream. Two processes started alike differed by up to ±15 % with the same table (an A/A run:
    // +14.6 %), more than the difference being looked for; environments of one process share its JIT, heap and core.
    const threeServices = await startKeymint('keymint (three services in sandbox, one in production)', {
      ...mainOptions,
      port: await freePort(),
      upstream: undefined,
      extraEnv: {
        KEYMINT_SERVICES_SANDBOX: JSON.stringify(services),
        KEYMINT_SERVICES_PRODUCTION: JSON.stringify([{ name: 'everything', path: '/', upstream: upstream.url }]),
      },
    });
    const [production] = await createKeys(threeServices.url, adminToken, 1, { environment: 'production' });
    try {
      const bearer = async (label: string, base: string, credential: Credential, environment = 'sandbox') => ({
        authorization: `Bearer ${await checkTokenEndpoint(label, `${base}/${environment}/oauth/token`, credential)}`,
      });
      const contenders: (Contender & { id: string })[] = [
        { id: 'plain', label: 'keymint proxy, bearer token, key without limits', load: { url: proxied(keymint.url), headers: await bearer('keymint', keymint.url, plain) } },
        { id: 'limited', label: 'keymint proxy, bearer token, key with a rate limit', load: { url: proxied(keymint.url), headers: await bearer('keymint', keymint.url, limited!) } },
        { id: 'plain-k', label: 'keymint proxy, `Api-Key`, key without limits', load: { url: proxied(keymint.url), headers: { 'api-key': plain.applicationSecret } } },
        { id: 'limited-k', label: 'keymint proxy, `Api-Key`, key with a rate limit', load: { url: proxied(keymint.url), headers: { 'api-key': limited!.applicationSecret } } },
        { id: 'services', label: 'keymint proxy, bearer token, three services (sandbox)', load: { url: proxied(threeServices.url), headers: await bearer('keymint (three services)', threeServices.url, plain) } },
        {
          id: 'service',
          label: 'keymint proxy, bearer token, one service (production, the same process)',
          load: {
            url: proxied(threeServices.url).replace('/sandbox/', '/production/'),
            headers: await bearer('keymint (one service)', threeServices.url, production!, 'production'),
          },
        },
      ].map((contender) => ({
        ...contender,
        pid: (contender.id === 'services' || contender.id === 'service' ? threeServices : keymint).child.pid,
      }));
      // Before measuring: every contender is served, and the limited key's answers carry its RateLimit fields.
      for (const contender of contenders) {
        await checkProxy(contender.label, contender.load.url, contender.load.headers!, contender.id.startsWith('limited') ? 'ratelimit-policy' : undefined);
      }
      await flushRedis();
      const sides = await measureGroup(contenders);
      const side = (id: string) => sides[contenders.findIndex((contender) => contender.id === id)]!;
      for (const [id, scenario, k, p] of [
        ['17', '17. Proxy GET, bearer token, key with a rate limit (peer: a key without limits)', 'limited', 'plain'],
        ['17k', '17k. Proxy GET, `Api-Key` header, key with a rate limit (peer: a key without limits)', 'limited-k', 'plain-k'],
        ['18', '18. Proxy GET, bearer token, three services configured (peer: one service, the same process: production)', 'services', 'service'],
      ] as const) {
        if (wantsRow(id)) rows.push({ scenario, keymint: side(k), peer: side(p), ratio: rateChange });
      }
    } finally {
      await threeServices.stop();
    }
  }

  // 19, 20. Token issuance with the client authentication of SPEC §8 against row 1's client_secret_basic, over as many
  // keys: private_key_jwt (an ES256 assertion per request, its jti recorded in Redis) and client_secret_basic with a DPoP
  // proof (an ES256 proof per request: the token is bound to its key). Assertions and proofs are signed by the load
  // generator as it builds each request.
  if (['19', '20'].some(wantsRow)) {
    log('19/20. token issuance: private_key_jwt and DPoP vs client_secret_basic');
    const signer = await createClientSigner('bench');
    const jwtKeys = await createJwtKeys(keymint.url, adminToken, keyCount, { ...signer.publicJwk, kid: signer.kid });
    const issuer = `${keymint.url}/sandbox`;
    const jwtRequests: AutocannonRequest[] = jwtKeys.map((key) => ({
      method: 'POST',
      path: '/sandbox/oauth/token',
      headers: form,
      setupRequest: (request) => ({
        ...request,
        body: `${tokenBody}&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${clientAssertion(signer, key.applicationId, issuer)}`,
      }),
    }));
    const dpopRequests: AutocannonRequest[] = tokenRequests(credentials, '/sandbox/oauth/token').map((request) => ({
      ...request,
      setupRequest: (built) => ({ ...built, headers: { ...built.headers, dpop: dpopProof(signer, 'POST', keymintToken) } }),
    }));
    const built = (request: AutocannonRequest) => request.setupRequest!({ ...request, headers: { ...request.headers } }, {});
    await checkToken('keymint, private_key_jwt', keymintToken, built(jwtRequests[0]!), 'Bearer');
    await checkToken('keymint, DPoP', keymintToken, built(dpopRequests[0]!), 'DPoP');
    await flushRedis();
    const [jwt, dpop, secret] = await measureGroup([
      { label: 'keymint, private_key_jwt', load: { url: keymintToken, requests: jwtRequests }, pid: keymint.child.pid },
      { label: 'keymint, client_secret_basic + DPoP', load: { url: keymintToken, requests: dpopRequests }, pid: keymint.child.pid },
      keymintContender,
    ]);
    const cost = (k: LoadResult, p: LoadResult, ks: Side, ps: Side) => `${rateRatio(k, p)}, ${addedCpu(k, p, ks, ps)}`;
    if (wantsRow('19')) rows.push({ scenario: '19. Token issuance, cache off, `private_key_jwt` (peer: `client_secret_basic`)', keymint: jwt!, peer: secret!, ratio: cost });
    if (wantsRow('20')) rows.push({ scenario: '20. Token issuance, cache off, DPoP-bound (peer: `client_secret_basic`, bearer)', keymint: dpop!, peer: secret!, ratio: cost });
  }

  // Cold start: spawn to the first 200 on the token endpoint, as `npm start` runs it (the bundle) and under tsx.
  await Promise.all([keymint.stop(), compare?.stop()]);
  const cold: ColdStarts[] = [];
  if (coldStarts > 0 && wants('cold')) {
    const options = { ...mainOptions, port: await freePort(), nodeFlags: [] };
    const bundle = await buildBundle();
    for (const [label, variant] of [
      ['`node dist/server/keymint.mjs`, the esbuild bundle `npm start` builds and runs', 'entry' in bundle ? { ...options, bundle: bundle.entry } : undefined],
      ['`node --import tsx src/runtime/node.ts` (`npm run dev`, compiled by tsx at start-up)', options],
    ] as const) {
      if (!variant) {
        cold.push({ label, runs: [], missing: 'error' in bundle ? bundle.error : 'not built' });
        continue;
      }
      log(`cold start ×${coldStarts}: ${label}…`);
      const runs = [];
      for (let i = 0; i < coldStarts; i++) runs.push(await coldStart(variant, credentials[0]!));
      log(`   ${runs.map((run) => `${Math.round(run.ms)} ms`).join(', ')}`);
      cold.push({ label, runs });
    }
  }

  await report(machine, cold);
}

async function report(machine: string, coldStarts: ColdStarts[]): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  const header = [
    '| scenario | keymint req/s | peer req/s | ratio | keymint p50 / p99 ms | peer p50 / p99 ms | keymint peak RSS |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const byNumber = (a: Row, b: Row) => {
    const [, an = '99', as = ''] = /^(\d+)(\w*)\./.exec(a.scenario) ?? [];
    const [, bn = '99', bs = ''] = /^(\d+)(\w*)\./.exec(b.scenario) ?? [];
    return Number(an) - Number(bn) || as.localeCompare(bs);
  };
  const lines = [...rows].sort(byNumber).map((row) => {
    const ratio = row.keymint.result && row.peer.result ? row.ratio(row.keymint.result, row.peer.result, row.keymint, row.peer) : 'n/a';
    return `| ${row.scenario} | ${fmtRate(row.keymint)} | ${fmtRate(row.peer)} | ${ratio} | ${fmtLatency(row.keymint)} | ${fmtLatency(row.peer)} | ${fmtRss(row.keymint)} |`;
  });
  const fmtCpu = (side: Side) => (side.cpuPerRequest !== undefined ? `${Math.round(side.cpuPerRequest)}` : 'n/a');
  const cpuLines = [...rows].sort(byNumber).map((row) => `| ${row.scenario.split(' (')[0]} | ${fmtCpu(row.keymint)} | ${fmtCpu(row.peer)} |`);
  const busy = rows
    .flatMap((row) => [row.keymint, row.peer])
    .filter((side, index, all) => all.indexOf(side) === index && (side.foreignCpu ?? 0) > 0.1)
    .map((side) => `${side.label} (${Math.round(side.foreignCpu! * 100)}%)`);
  const cold = coldStarts.length
    ? [
        'Cold start, process spawn to the first 200 from the token endpoint (existing database, Redis up), median of the runs, and resident memory at that moment:',
        '',
        ...coldStarts.map((c) =>
          c.missing
            ? `- ${c.label}: n/a (${c.missing})`
            : `- ${c.label}: **${Math.round(median(c.runs.map((r) => r.ms)))} ms** (${c.runs.map((r) => Math.round(r.ms)).join(', ')} ms), RSS ${Math.round(median(c.runs.map((r) => r.rssBytes)) / 1048576)} MiB`,
        ),
      ].join('\n')
    : 'Cold start: not measured.';
  const revision = await measuredRevision;
  const markdown = [
    `# keymint benchmarks, ${date}`,
    '',
    `Machine: ${machine}. Commit ${revision}. ${duration} s of load per server after ${warmup} s warm-up, the servers of a row measured in alternating slices of ${fmtMs(duration / Math.max(1, Math.min(5, Math.floor(duration / 2))))} s; ${connections} connections unless the row says otherwise; load spread over ${keyCount} keys; load generator (autocannon) on the same machine.`,
    '',
    ...(rows.length
      ? [
          ...header,
          ...lines,
          '',
          'CPU time per successful request, all threads of the server\'s process tree (a measure that other load on the machine disturbs less than the rates):',
          '',
          '| scenario | keymint CPU µs/req | peer CPU µs/req |',
          '|---|---:|---:|',
          ...cpuLines,
          '',
        ]
      : []),
    cold,
    ...(busy.length ? ['', `Other processes on the machine used more than 10% of its CPU during: ${busy.join(', ')}.`] : []),
    ...notes.map((note) => `- ${note}`),
    '',
    `Reproduce: \`npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``,
    '',
  ].join('\n');
  process.stdout.write(`\n${markdown}`);
  const defaults = duration === DEFAULT_DURATION && scaleKeys === DEFAULT_SCALE_KEYS && !only && !flags.profile;
  const out = flags.out ?? join(REPO_ROOT, 'bench', 'results', `${date}${defaults ? '' : `-d${duration}${scaleKeys === DEFAULT_SCALE_KEYS ? '' : `-scale${scaleKeys}`}${only ? `-only${[...only].join('_')}` : ''}`}.md`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, markdown);
  log(`written to ${out}`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`\nbench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
