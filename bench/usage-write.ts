// What counting a call's usage costs (docs/storage.md, "Per-key limits and usage"): the usage write against Redis, per call, measured
// against no write at all. Not a test and not part of `npm run bench`: run it alone on an idle machine,
// `npx tsx bench/usage-write.ts [calls]`. It starts its own redis-server on a free loopback port.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createRedisClient } from '../src/adapters/node/redis-client.js';
import { RedisUsageMeter } from '../src/adapters/node/redis-usage-meter.js';
import { systemClock } from '../src/ports/runtime.js';
import { freePort, startRedisServer } from '../test/support/redis-server.js';

const CALLS = Number(process.argv[2] ?? 200_000);
// Like the gateway under load: many requests in flight, each writing once; autopipelining batches a tick's writes.
const IN_FLIGHT = 50;

type Write = (index: number) => Promise<unknown>;

async function drive(write: Write, inFlight: number, calls: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) await write(next++);
    }),
  );
  return performance.now() - started;
}

function cpuOf(pid: number): number {
  const stat = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).stdout.split(' ');
  return (Number(stat[13]) + Number(stat[14])) * 10; // jiffies (100 Hz) → ms
}

async function main() {
  const port = await freePort();
  const server = await startRedisServer(port);
  const redis = createRedisClient(`redis://127.0.0.1:${port}`);
  await redis.connect();
  const meter = new RedisUsageMeter(redis, systemClock);
  const admin = new Redis(`redis://127.0.0.1:${port}`);
  const keys = Array.from({ length: 100 }, (_, index) => ({ environment: 'sandbox' as const, keyId: `key_bench${index}` }));

  const raw = (index: number) => `km:{sandbox:key_bench${index % 100}}:usage:raw`;
  redis.defineCommand('benchCount', {
    numberOfKeys: 1,
    lua: "redis.call('HINCRBY', KEYS[1], ARGV[1], 1) redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1",
  });
  const scripted = redis as unknown as { benchCount(key: string, field: string, ttl: number): Promise<unknown> };
  const variants: Record<string, Write> = {
    'no write (the request path alone)': async () => {},
    'HINCRBY alone (no TTL: not enough)': (index) => redis.hincrby(raw(index), '03:2xx', 1),
    'HINCRBY + PEXPIRE in an explicit pipeline() per call': (index) =>
      redis.pipeline().hincrby(raw(index), '03:2xx', 1).pexpire(raw(index), 7_948_800_000).exec(),
    'HINCRBY + PEXPIRE as two auto-pipelined commands': (index) =>
      Promise.all([redis.hincrby(raw(index), '03:2xx', 1), redis.pexpire(raw(index), 7_948_800_000)]),
    'one Lua script (EVALSHA) doing both': (index) => scripted.benchCount(raw(index), '03:2xx', 7_948_800_000),
    'RedisUsageMeter.count (HINCRBY; + PEXPIRE once a minute per hash)': (index) => meter.count(keys[index % 100]!, '2xx'),
  };

  console.log(`${CALLS} calls per variant, ${IN_FLIGHT} in flight, then 20 000 one at a time; Redis ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[2]}`);
  console.log('| variant | calls/s (50 in flight) | µs per call, one at a time | gateway CPU µs per call | Redis CPU µs per call |');
  console.log('|---|---|---|---|---|');
  for (const [name, write] of Object.entries(variants)) {
    await drive(write, IN_FLIGHT, 5000); // warm-up
    const cpuBefore = cpuOf(server.pid!);
    const ownBefore = process.cpuUsage();
    const loaded = await drive(write, IN_FLIGHT, CALLS);
    const own = process.cpuUsage(ownBefore);
    const redisCpu = cpuOf(server.pid!) - cpuBefore;
    const single = await drive(write, 1, 20_000);
    console.log(
      `| ${name} | ${Math.round((CALLS / loaded) * 1000).toLocaleString('en')} | ${((single / 20_000) * 1000).toFixed(1)} | ${((own.user + own.system) / CALLS).toFixed(2)} | ${((redisCpu / CALLS) * 1000).toFixed(2)} |`,
    );
  }
  console.log(`used_memory after: ${(await admin.info('memory')).match(/used_memory_human:(\S+)/)?.[1]}`);
  await redis.quit();
  await admin.quit();
  server.kill('SIGTERM');
}

await main();
