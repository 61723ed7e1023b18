// A key's usage (SPEC §7) over real HTTP on real Redis: what the gateway counts — tokens minted, proxied calls by
// status class, refusals — equals what the test sent, read through GET …/keys/{keyId}/usage, and survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { createAdminToken, expectProblem } from './support/admin-auth-suite.js';
import { basic, redisUrl, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { startKeymintProcess, type KeymintProcess } from './support/keymint-process.js';
import { freePort } from './support/redis-server.js';
import { startUpstream, type Upstream } from './support/upstream.js';

interface Counts {
  tokens: number;
  calls: Record<'2xx' | '3xx' | '4xx' | '5xx', number>;
  refusals: Record<'invalid_credentials' | 'rate_limited' | 'quota_exceeded', number>;
}

interface KeyUsage {
  keyId: string;
  environment: string;
  granularity: 'hour' | 'day';
  from: string;
  to: string;
  points: (Counts & { start: string })[];
  totals: Counts;
}

const counts = (tokens: number, calls: Partial<Counts['calls']>, refusals: Partial<Counts['refusals']> = {}): Counts => ({
  tokens,
  calls: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, ...calls },
  refusals: { invalid_credentials: 0, rate_limited: 0, quota_exceeded: 0, ...refusals },
});

function usagePath(key: ApiKeyWithSecret, query = ''): string {
  return `/accounts/${key.accountId}/keys/${key.id}/usage${query}`;
}

/** The key's totals once they equal `expected`: counts are written after each answer, so they may trail it a little. */
async function expectTotals(read: () => Promise<KeyUsage>, expected: Counts): Promise<KeyUsage> {
  let usage!: KeyUsage;
  await expect
    .poll(async () => (usage = await read()).totals, { timeout: 10_000, interval: 100 })
    .toEqual(expected);
  return usage;
}

describe.skipIf(!redisUrl())('usage per key on Redis', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let key: ApiKeyWithSecret;
  let quiet: ApiKeyWithSecret;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway({ sessions: 'redis', env: { KEYMINT_UPSTREAM_SANDBOX: upstream.url } });
    const account = await gateway.createAccount();
    key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read'] });
    quiet = await gateway.createKey(account.id, { environment: 'sandbox' });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const read = (which: ApiKeyWithSecret, query = '') => async () => {
    const response = await gateway.admin('GET', usagePath(which, query));
    expect(response.status).toBe(200);
    return (await response.json()) as KeyUsage;
  };

  it('counts what the key did: tokens, calls by status class, refused credentials', async () => {
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(await gateway.mint('sandbox', key));
    // Named by its application ID: another key's secret, and a mistyped one.
    expect((await gateway.exchange('sandbox', key.applicationId, quiet.applicationSecret)).status).toBe(401);
    expect((await gateway.exchange('sandbox', key.applicationId, `${key.applicationSecret.slice(0, -4)}XXXX`)).status).toBe(401);
    const auth = { authorization: `Bearer ${tokens[0]}` };
    for (let i = 0; i < 4; i++) expect((await gateway.fetch(`/sandbox/api/orders/${i}`, { headers: auth })).status).toBe(200);
    expect((await gateway.fetch('/sandbox/api/status/404', { headers: auth })).status).toBe(404);
    expect((await gateway.fetch('/sandbox/api/status/503', { headers: auth })).status).toBe(503);
    expect((await gateway.fetch('/sandbox/api/redirect', { headers: auth, redirect: 'manual' })).status).toBe(302);
    // Api-Key calls count against the same key.
    expect((await gateway.fetch('/sandbox/api/orders/9', { headers: { 'api-key': key.applicationSecret } })).status).toBe(200);
    // A client ID no key has names nothing to count against.
    expect((await gateway.exchange('sandbox', 'app_unknown', 'nope')).status).toBe(401);

    const usage = await expectTotals(read(key), counts(3, { '2xx': 5, '3xx': 1, '4xx': 1, '5xx': 1 }, { invalid_credentials: 2 }));
    expect(usage).toMatchObject({ keyId: key.id, environment: 'sandbox', granularity: 'hour' });
    // The last 24 UTC hours, zero-filled, one point each; the points add up to the totals.
    expect(usage.points).toHaveLength(24);
    expect(usage.points[0]!.start).toBe(usage.from);
    expect(Date.parse(usage.to) - Date.parse(usage.from)).toBe(24 * 3_600_000);
    expect(usage.points.reduce((sum, point) => sum + point.calls['2xx'], 0)).toBe(5);
    expect(usage.points.reduce((sum, point) => sum + point.tokens, 0)).toBe(3);
    // The other key of the account saw none of it.
    expect((await read(quiet)()).totals).toEqual(counts(0, {}));
  });

  it('answers by day, for a range it is given, and refuses more than 90 days', async () => {
    const byDay = await read(quiet, '?granularity=day')();
    expect(byDay.points).toHaveLength(30);
    expect(byDay.points.every((point) => point.start.endsWith('T00:00:00.000Z'))).toBe(true);
    const ranged = await read(quiet, '?granularity=day&from=2026-01-01T00:00:00Z&to=2026-01-08T12:00:00Z')();
    expect(ranged.from).toBe('2026-01-01T00:00:00.000Z');
    expect(ranged.to).toBe('2026-01-09T00:00:00.000Z');
    expect(ranged.points).toHaveLength(8);

    const tooLong = await expectProblem(
      await gateway.admin('GET', usagePath(quiet, '?granularity=day&from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z')),
      400,
    );
    expect(tooLong).toMatchObject({ code: 'invalid_request', detail: 'the range may span at most 90 days' });
    expect(await expectProblem(await gateway.admin('GET', usagePath(quiet, '?granularity=week')), 400)).toMatchObject({
      code: 'invalid_request',
      issues: [expect.objectContaining({ path: 'granularity' })],
    });
    expect(await expectProblem(await gateway.admin('GET', usagePath(quiet, '?from=yesterday')), 400)).toMatchObject({
      issues: [{ path: 'from', message: 'must be an ISO 8601 date-time' }],
    });
    await expectProblem(await gateway.admin('GET', usagePath(quiet, '?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')), 400);
  });

  it('lets a viewer of the account read it, and no one of another account', async () => {
    const viewer = await createAdminToken(gateway, quiet.accountId, 'viewer');
    expect((await gateway.admin('GET', usagePath(quiet), undefined, viewer)).status).toBe(200);
    const other = await gateway.createAccount('Neighbour');
    const neighbour = await createAdminToken(gateway, other.id, 'viewer');
    await expectProblem(await gateway.admin('GET', usagePath(quiet), undefined, neighbour), 403);
    // A key of the account, asked for under another account, is not found.
    await expectProblem(await gateway.admin('GET', `/accounts/${other.id}/keys/${quiet.id}/usage`), 404);
  });
});

describe.skipIf(!redisUrl())('usage across a gateway restart', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-usage-'));
  const root = `root_${randomBase62(40)}`;
  let upstream: Upstream;
  let running: KeymintProcess | undefined;
  afterAll(async () => {
    await running?.stop('SIGKILL');
    await upstream?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('reads the same counts from a new process on the same Redis', { timeout: 120_000 }, async () => {
    upstream = await startUpstream();
    const port = await freePort();
    const env = {
      KEYMINT_ADMIN_TOKEN: root,
      REDIS_URL: redisUrl()!,
      KEYMINT_REDIS_PREFIX: `u${randomBase62(8)}`,
      KEYMINT_PUBLIC_URL: `http://127.0.0.1:${port}`,
      KEYMINT_UPSTREAM_SANDBOX: upstream.url,
    };
    running = await startKeymintProcess({ directory, port, env });
    const base = running.url;
    const admin = async (method: string, path: string, body?: unknown) =>
      fetch(`${base}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${root}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const account = (await (await admin('POST', '/accounts', { name: 'Restarted' })).json()) as { id: string };
    const key = (await (await admin('POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'k' })).json()) as ApiKeyWithSecret;
    const minted = await fetch(`${base}/sandbox/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = ((await minted.json()) as { access_token: string }).access_token;
    for (let i = 0; i < 7; i++) {
      expect((await fetch(`${base}/sandbox/api/item/${i}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    }
    const readUsage = async () => (await (await admin('GET', usagePath(key))).json()) as KeyUsage;
    await expectTotals(readUsage, counts(1, { '2xx': 7 }));

    await running.stop();
    running = await startKeymintProcess({ directory, port, env });
    expect((await readUsage()).totals).toEqual(counts(1, { '2xx': 7 }));
    // And the new process counts on top.
    expect((await fetch(`${base}/sandbox/api/item/8`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await expectTotals(readUsage, counts(1, { '2xx': 8 }));

    // Counts are held in memory for a fraction of a second: a process stopped (SIGTERM) right after its calls, with
    // no read in between, writes them before it exits.
    for (let i = 9; i < 12; i++) {
      expect((await fetch(`${base}/sandbox/api/item/${i}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    }
    await running.stop();
    running = await startKeymintProcess({ directory, port, env });
    expect((await readUsage()).totals).toEqual(counts(1, { '2xx': 11 }));
  });
});
