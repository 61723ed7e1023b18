// src/runtime/worker.ts itself: required secrets, bad variables, one app per isolate (and origin), waitUntil.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker, { type WorkerEnv } from '../../src/runtime/worker.js';
import { basic, createAccount, createKey, expectOAuthError, expectProblem } from './support/worker-client.js';

const secrets = { KEYMINT_ADMIN_TOKEN: env.KEYMINT_ADMIN_TOKEN, KEYMINT_SECRET_PEPPER: env.KEYMINT_SECRET_PEPPER };
// With the KEK the other tests' signing keys were sealed with, for tests that sign or publish keys.
const allSecrets = { ...secrets, KEYMINT_KEK: env.KEYMINT_KEK };

/** A fresh env object, as a new isolate (or deployment) would get: its own app. */
function workerEnv(variables: Record<string, unknown>): WorkerEnv {
  return { DB: env.DB, SESSIONS: env.SESSIONS, ...variables };
}

async function request(workerEnvironment: WorkerEnv, url: string, init?: RequestInit) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(url, init), workerEnvironment, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a misconfigured Worker', () => {
  it('answers every request with a 500 problem naming each missing secret, and logs it', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const path of ['/admin/v1/accounts', '/sandbox/oauth/token', '/sandbox/.well-known/jwks.json']) {
      const response = await request(workerEnv({}), `https://keymint.example${path}`, { method: 'POST' });
      const problem = await expectProblem(response, 500, 'internal_error');
      expect(problem.detail).toContain('KEYMINT_ADMIN_TOKEN is not set');
      expect(problem.detail).toContain('KEYMINT_SECRET_PEPPER is not set');
      expect(problem.detail).toContain('wrangler secret put');
    }
    expect(logged).toHaveBeenCalledTimes(3);
    expect(String(logged.mock.calls[0]![0])).toContain('KEYMINT_ADMIN_TOKEN');
  });

  it('names a missing binding', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await request({ DB: env.DB, ...secrets }, 'https://keymint.example/healthz');
    expect((await expectProblem(response, 500, 'internal_error')).detail).toMatch(/KV binding SESSIONS is missing/);
  });

  it('names a variable that fails validation, without echoing secret values', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await request(
      workerEnv({ ...secrets, KEYMINT_SESSION_TTL: 'soon' }),
      'https://keymint.example/sandbox/.well-known/jwks.json',
    );
    const problem = await expectProblem(response, 500, 'internal_error');
    expect(problem.detail).toMatch(/KEYMINT_SESSION_TTL/);
    expect(JSON.stringify(problem)).not.toContain(secrets.KEYMINT_SECRET_PEPPER);
  });
});

describe('a configured Worker', () => {
  const kekWarnings = (spy: { mock: { calls: unknown[][] } }) =>
    spy.mock.calls.filter(([line]) => String(line).includes('KEYMINT_KEK is not set')).length;

  it('builds its app once per isolate env and request origin when KEYMINT_PUBLIC_URL is unset', async () => {
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const isolate = workerEnv(secrets);
    const first = await request(isolate, 'https://a.example/sandbox/.well-known/oauth-authorization-server');
    await request(isolate, 'https://a.example/.well-known/oauth-authorization-server/production');
    expect(kekWarnings(warned)).toBe(1);
    expect(await first.json()).toMatchObject({ issuer: 'https://a.example/sandbox' });

    const other = await request(isolate, 'https://b.example/sandbox/.well-known/oauth-authorization-server');
    expect(await other.json()).toMatchObject({ issuer: 'https://b.example/sandbox' });
    expect(kekWarnings(warned)).toBe(2);
  });

  it('uses KEYMINT_PUBLIC_URL for every origin when it is set', async () => {
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const isolate = workerEnv({ ...secrets, KEYMINT_PUBLIC_URL: 'https://auth.example.com/' });
    for (const origin of ['https://a.example', 'https://b.example']) {
      const response = await request(isolate, `${origin}/.well-known/oauth-authorization-server/production`);
      expect(await response.json()).toMatchObject({ issuer: 'https://auth.example.com/production' });
    }
    expect(kekWarnings(warned)).toBe(1);
  });

  it('reports D1 and KV at /readyz, and 503 when one cannot answer', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const ready = await request(workerEnv(secrets), 'https://keymint.example/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', kv: 'ok' } });

    const unreachable = async () => {
      throw new Error('KV GET failed: 503');
    };
    const brokenKv = { get: unreachable, put: unreachable, delete: unreachable, list: unreachable };
    const degraded = await request(workerEnv({ ...secrets, SESSIONS: brokenKv }), 'https://keymint.example/readyz');
    expect(degraded.status).toBe(503);
    expect(await degraded.json()).toMatchObject({ status: 'unavailable', checks: { database: 'ok', kv: expect.stringMatching(/^unavailable/) } });
  });

  it('answers 503 temporarily_unavailable at the token endpoint while KV cannot be reached', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const account = await createAccount('KV outage');
    const key = await createKey(account.id, { environment: 'sandbox' });
    const unreachable = async () => {
      throw new Error('KV GET failed: 503');
    };
    const brokenKv = { get: unreachable, put: unreachable, delete: unreachable, list: unreachable };
    const response = await request(workerEnv({ ...allSecrets, SESSIONS: brokenKv }), 'https://keymint.example/sandbox/oauth/token', {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    await expectOAuthError(response, 503, 'temporarily_unavailable');
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('without the Durable Object bindings, warns once for each and keeps the contract in KV and per isolate', async () => {
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const account = await createAccount('No objects');
    const key = await createKey(account.id, { environment: 'sandbox' });
    const isolate = workerEnv(allSecrets);
    const form = (path: string, body: string) =>
      request(isolate, `https://keymint.example/sandbox/oauth/${path}`, {
        method: 'POST',
        headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    const { access_token: token } = (await (await form('token', 'grant_type=client_credentials')).json()) as { access_token: string };
    expect(await (await form('introspect', `token=${token}`)).json()).toMatchObject({ active: true });
    expect((await form('revoke', `token=${token}`)).status).toBe(200);
    expect(await (await form('introspect', `token=${token}`)).json()).toEqual({ active: false });
    const warnings = warned.mock.calls.map(([line]) => String(line));
    // (REPLAY_RECORDS is named when a jti is first checked, which a client secret never is.)
    for (const binding of ['FAILURE_COUNTERS', 'KEY_LIMITS', 'SESSION_RECORDS', 'USAGE_COUNTS']) {
      expect(warnings.filter((line) => line.includes(`binding ${binding} is missing`))).toHaveLength(1);
    }
  });

  it('answers 503 temporarily_unavailable at the token endpoint while the session objects cannot be reached', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const account = await createAccount('Object outage');
    const key = await createKey(account.id, { environment: 'sandbox' });
    const unreachable = {
      idFromName: (name: string) => env.SESSION_RECORDS.idFromName(name),
      get: () => ({
        fetch: async () => {
          throw new Error('Durable Object is overloaded');
        },
      }),
    };
    const response = await request(workerEnv({ ...allSecrets, SESSION_RECORDS: unreachable }), 'https://keymint.example/sandbox/oauth/token', {
      method: 'POST',
      headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    await expectOAuthError(response, 503, 'temporarily_unavailable');
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('hands deferred work (lastUsedAt) to waitUntil, so it completes after the response', async () => {
    const isolate = workerEnv(allSecrets);
    const adminCall = (method: string, path: string, body?: unknown) =>
      request(isolate, `https://keymint.example/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${secrets.KEYMINT_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const account = (await (await adminCall('POST', '/accounts', { name: 'Usage' })).json()) as { id: string };
    const key = (await (await adminCall('POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'k' })).json()) as {
      id: string;
      applicationId: string;
      applicationSecret: string;
    };
    const minted = await request(isolate, 'https://keymint.example/sandbox/oauth/token', {
      method: 'POST',
      headers: {
        authorization: basic(key.applicationId, key.applicationSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(minted.status).toBe(200);
    const view = (await (await adminCall('GET', `/accounts/${account.id}/keys/${key.id}`)).json()) as {
      lastUsedAt: string | null;
    };
    expect(view.lastUsedAt).not.toBeNull();
  });
});
