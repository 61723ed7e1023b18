// KEYMINT_WORKERS: a primary forks workers that share the port, replaces none that fail at start, and stops them all.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { basic, redisUrl } from './support/gateway.js';
import { adminPoster } from './support/admin-post.js';
import { spawnKeymint, type KeymintProcess } from './support/keymint-process.js';
import { freePort } from './support/redis-server.js';

const ROOT = `root_${randomBase62(40)}`;
const hasProc = existsSync('/proc/self/task');

function start(directory: string, port: number, env: Record<string, string>): KeymintProcess {
  return spawnKeymint({ directory, port, env: { KEYMINT_ADMIN_TOKEN: ROOT, ...env } });
}

function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Each test starts real processes (a primary and its forked workers): slow on a loaded machine.
describe('KEYMINT_WORKERS', { timeout: 90_000 }, () => {
  const directories: string[] = [];
  const children: ChildProcess[] = [];
  const directory = () => {
    const made = mkdtempSync(join(tmpdir(), 'keymint-cluster-'));
    directories.push(made);
    return made;
  };
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const made of directories) rmSync(made, { recursive: true, force: true });
  });

  it.runIf(hasProc && redisUrl() !== null)('serves from N workers on one port, and SIGTERM stops them all', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const primary = start(directory(), port, { KEYMINT_WORKERS: '2', REDIS_URL: redisUrl()!, KEYMINT_REDIS_PREFIX: `c${randomBase62(8)}` });
    children.push(primary.child);
    await primary.ready();
    const workers = childPids(primary.child.pid!);
    expect(workers).toHaveLength(2);

    const admin = adminPoster(fetch, base, ROOT);
    const account = await admin('/accounts', { name: 'cluster' });
    const key = await admin(`/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'k' });
    // Many exchanges on fresh connections land on both workers; every one succeeds and verifies everywhere.
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${base}/sandbox/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(key.applicationId!, key.applicationSecret!), 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
        body: 'grant_type=client_credentials',
      });
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      const info = await fetch(`${base}/sandbox/oauth/tokeninfo`, { headers: { authorization: `Bearer ${access_token}`, connection: 'close' } });
      expect(info.status).toBe(200);
    }

    primary.child.kill('SIGTERM');
    expect(await primary.exited).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
  });

  it('stops with exit code 1 when the workers cannot start', async () => {
    const dir = directory();
    const port = await freePort();
    const kek = () => Buffer.from(randomBase62(32)).toString('base64url');
    // A first start seals the signing keys with one KEK…
    const first = start(dir, port, { KEYMINT_KEK: kek() });
    children.push(first.child);
    await first.ready();
    await first.stop();
    // …so workers given another cannot open them.
    const second = start(dir, port, { KEYMINT_KEK: kek(), KEYMINT_WORKERS: '2', REDIS_URL: redisUrl() ?? 'redis://127.0.0.1:1' });
    children.push(second.child);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('cannot load the sandbox signing keys');
  });

  it('refuses a value that is not a whole number from 1 to 64, naming the variable', async () => {
    const bad = start(directory(), await freePort(), { KEYMINT_WORKERS: '0' });
    children.push(bad.child);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('KEYMINT_WORKERS');
  });

  it('refuses more than one worker without REDIS_URL', async () => {
    const alone = start(directory(), await freePort(), { KEYMINT_WORKERS: '2' });
    children.push(alone.child);
    expect(await alone.exited).toBe(1);
    expect(alone.output()).toContain('KEYMINT_WORKERS above 1 needs REDIS_URL');
  });
});
