// Soak: mixed traffic against a real keymint process (real redis-server) for a bounded time,
// reporting its RSS after warm-up and at the end. Run: npm run soak -- [--duration 60] [--concurrency 20]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, hasRedisServer, startRedisServer } from '../test/support/redis-server.js';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '20' } },
});
const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);
const ROOT = `root_${'x'.repeat(40)}`;

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function main() {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-soak-'));
  const children: ChildProcess[] = [];
  const stop = () => children.forEach((child) => child.kill('SIGKILL'));
  process.on('SIGINT', () => (stop(), process.exit(130)));
  try {
    let redisUrl = '';
    if (hasRedisServer()) {
      const port = await freePort();
      children.push(await startRedisServer(port));
      redisUrl = `redis://127.0.0.1:${port}`;
    }
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const gateway = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node.ts'], {
      env: {
        ...process.env,
        KEYMINT_PORT: String(port),
        KEYMINT_DATABASE: join(directory, 'k.db'),
        KEYMINT_ADMIN_TOKEN: ROOT,
        REDIS_URL: redisUrl,
        KEYMINT_AUTH_FAILURES_PER_CLIENT: '1000000',
        KEYMINT_AUTH_FAILURES_PER_IP: '1000000',
        KEYMINT_ISSUANCE_CACHE: 'false',
      },
      stdio: 'ignore',
    });
    children.push(gateway);
    for (let i = 0; i < 200; i++) {
      if (await fetch(`${base}/sandbox/.well-known/jwks.json`).then((r) => r.ok, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const admin = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ROOT}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.status === 204 ? null : response.json();
    };
    const account = (await admin('POST', '/accounts', { name: 'soak' })) as { id: string };
    const key = (await admin('POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'soak' })) as {
      applicationId: string;
      applicationSecret: string;
    };
    const auth = `Basic ${btoa(`${key.applicationId}:${key.applicationSecret}`)}`;
    const form = { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' };

    // One round of the mix: exchange, introspect, tokeninfo, a wrong secret, JWKS, admin churn.
    let requests = 0;
    let failures = 0;
    async function round(worker: number, n: number) {
      const minted = await fetch(`${base}/sandbox/oauth/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
      const { access_token: token } = (await minted.json()) as { access_token: string };
      const answers = await Promise.all([
        fetch(`${base}/sandbox/oauth/introspect`, { method: 'POST', headers: form, body: `token=${token}` }),
        fetch(`${base}/sandbox/oauth/tokeninfo`, { headers: { authorization: `Bearer ${token}` } }),
        fetch(`${base}/sandbox/oauth/token`, {
          method: 'POST',
          headers: { ...form, authorization: `Basic ${btoa(`${key.applicationId}:sk_sbx_wrong`)}` },
          body: 'grant_type=client_credentials',
        }),
        fetch(`${base}/sandbox/.well-known/jwks.json`),
      ]);
      for (const answer of answers) await answer.arrayBuffer();
      if (minted.status !== 200 || answers[0]!.status !== 200) failures++;
      if (n % 50 === 0) {
        const churn = (await admin('POST', `/accounts/${account.id}/keys`, { environment: 'production', name: `w${worker}` })) as { id?: string };
        if (churn?.id) await admin('DELETE', `/accounts/${account.id}/keys/${churn.id}`);
      }
      requests += 5;
    }

    const started = Date.now();
    const samples: { at: number; rssKiB: number }[] = [];
    const sampler = setInterval(() => samples.push({ at: Date.now() - started, rssKiB: rssKiB(gateway.pid!) }), 1000);
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (let n = 0; Date.now() - started < durationMs; n++) await round(worker, n);
      }),
    );
    clearInterval(sampler);
    samples.push({ at: Date.now() - started, rssKiB: rssKiB(gateway.pid!) });

    const warm = samples.find((sample) => sample.at >= Math.min(10_000, durationMs / 4)) ?? samples[0]!;
    const end = samples.at(-1)!;
    const growth = ((end.rssKiB - warm.rssKiB) / warm.rssKiB) * 100;
    console.log(`\n| soak | value |\n|---|---|`);
    console.log(`| duration | ${(end.at / 1000).toFixed(0)} s at ${concurrency} concurrent loops |`);
    console.log(`| requests | ${requests} (${Math.round(requests / (end.at / 1000))} req/s), failed rounds: ${failures} |`);
    console.log(`| RSS after warm-up (${(warm.at / 1000).toFixed(0)} s) | ${(warm.rssKiB / 1024).toFixed(1)} MiB |`);
    console.log(`| RSS at end | ${(end.rssKiB / 1024).toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %) |`);
    console.log(`| peak RSS | ${(Math.max(...samples.map((s) => s.rssKiB)) / 1024).toFixed(1)} MiB |`);
    if (failures > 0) process.exitCode = 1;
  } finally {
    stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
