// Usage counts through the Worker (SPEC §7 usage, §10): tokens minted through two isolates, read back as one total
// through a third; and the per-isolate fallback, with its warning, when the USAGE_COUNTS binding is absent.
import { createExecutionContext, env, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker, { type WorkerEnv } from '../../src/runtime/worker.js';
import type { DurableNamespaceLike } from '../../src/adapters/workers/durable-object.js';
import { DurableObjectUsageMeter } from '../../src/adapters/workers/usage-object.js';
import { nextId } from '../../src/ports/testing/fixtures.js';
import { createManualClock } from '../../src/ports/testing/manual-clock.js';
import { DAY_MS, HOUR_MS } from '../../src/ports/usage-meter.js';
import { basic, createAccount, createKey, rootToken } from './support/worker-client.js';

const secrets = { KEYMINT_ADMIN_TOKEN: env.KEYMINT_ADMIN_TOKEN, KEYMINT_SECRET_PEPPER: env.KEYMINT_SECRET_PEPPER, KEYMINT_KEK: env.KEYMINT_KEK };

/** A fresh env object, as a new isolate would get: its own app, its own in-process state. */
function isolate(bindings: Partial<WorkerEnv> = {}): WorkerEnv {
  return { DB: env.DB, SESSIONS: env.SESSIONS, ...secrets, ...bindings };
}

/** One request through the Worker, with the work it hands waitUntil (the usage count) finished. */
async function request(workerEnvironment: WorkerEnv, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://keymint.example${path}`, init), workerEnvironment, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function mintThrough(workerEnvironment: WorkerEnv, key: { applicationId: string; applicationSecret: string }): Promise<void> {
  const response = await request(workerEnvironment, '/sandbox/oauth/token', {
    method: 'POST',
    headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(response.status).toBe(200);
}

async function tokensCounted(workerEnvironment: WorkerEnv, accountId: string, keyId: string): Promise<number> {
  const response = await request(workerEnvironment, `/admin/v1/accounts/${accountId}/keys/${keyId}/usage?granularity=hour`, {
    headers: { authorization: `Bearer ${rootToken()}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { totals: { tokens: number } }).totals.tokens;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('usage counts on Workers', () => {
  it('adds up the tokens two isolates minted, and a third isolate reads the total', async () => {
    const account = await createAccount('Usage across isolates');
    const key = await createKey(account.id, { environment: 'sandbox' });
    const first = isolate({ USAGE_COUNTS: env.USAGE_COUNTS as never });
    const second = isolate({ USAGE_COUNTS: env.USAGE_COUNTS as never });
    for (let index = 0; index < 3; index++) await mintThrough(first, key);
    await Promise.all([mintThrough(second, key), mintThrough(second, key)]);
    expect(await tokensCounted(isolate({ USAGE_COUNTS: env.USAGE_COUNTS as never }), account.id, key.id)).toBe(5);
    expect(await tokensCounted(first, account.id, key.id)).toBe(5);
  });

  it('without the USAGE_COUNTS binding, warns once in each isolate and counts per isolate', async () => {
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const account = await createAccount('Usage per isolate');
    const key = await createKey(account.id, { environment: 'sandbox' });
    const alone = isolate();
    await mintThrough(alone, key);
    await mintThrough(alone, key);
    expect(await tokensCounted(alone, account.id, key.id)).toBe(2);
    // Another isolate never saw them.
    expect(await tokensCounted(isolate(), account.id, key.id)).toBe(0);
    const warnings = warned.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('binding USAGE_COUNTS is missing'));
    expect(warnings).toHaveLength(2);
  });
});

describe("a key's usage object", () => {
  const openMeter = () => {
    const clock = createManualClock(new Date(Date.now()).toISOString());
    const prefix = nextId('t');
    const meter = new DurableObjectUsageMeter(env.USAGE_COUNTS as unknown as DurableNamespaceLike, { prefix, clock });
    const keyId = nextId('key_');
    const stub = env.USAGE_COUNTS.get(env.USAGE_COUNTS.idFromName(`${prefix}:sandbox:usage:${keyId}`));
    return { clock, meter, key: { environment: 'sandbox' as const, keyId }, stub };
  };

  it('keeps 90 days: its daily alarm deletes hours 92 days old, keeps the rest, and comes back while any are left', async () => {
    const { clock, meter, key, stub } = openMeter();
    const now = Date.now();
    clock.set(new Date(now - 93 * DAY_MS).toISOString());
    await meter.count(key, '2xx');
    clock.set(new Date(now - 89 * DAY_MS).toISOString());
    await meter.count(key, '4xx');
    clock.set(new Date(now).toISOString());
    await meter.count(key, 'tokens');
    expect(await meter.readHours(key, now - 100 * DAY_MS, now + HOUR_MS)).toHaveLength(3);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const kept = await meter.readHours(key, now - 100 * DAY_MS, now + HOUR_MS);
    expect(kept.map((hour) => Object.entries(hour.counts).filter(([, n]) => n > 0))).toEqual([[['4xx', 1]], [['tokens', 1]]]);
    // Hours are left, so the alarm was set again.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
  });

  it('stops its alarm once every hour has aged out', async () => {
    const { clock, meter, key, stub } = openMeter();
    clock.set(new Date(Date.now() - 95 * DAY_MS).toISOString());
    await meter.count(key, 'rate_limited');
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await meter.readHours(key, 0, Date.now() + HOUR_MS)).toEqual([]);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });
});
