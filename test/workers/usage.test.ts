// Usage counts through the Worker (SPEC §7 usage, §10): tokens minted through two isolates, read back as one total
// through a third; and the per-isolate fallback, with its warning, when the USAGE_COUNTS binding is absent.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker, { type WorkerEnv } from '../../src/runtime/worker.js';
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
