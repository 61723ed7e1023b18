// Request ids, structured logs, health and readiness, Prometheus metrics.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { freePort, startRedisServer } from './support/redis-server.js';

describe('observability', () => {
  let gateway: Gateway;
  let key: ApiKeyWithSecret;
  beforeAll(async () => {
    gateway = await startGateway();
    key = await gateway.createKey((await gateway.createAccount()).id, { environment: 'sandbox', scopes: ['a'] });
  });
  afterAll(() => gateway.close());

  it('puts a request id on every answer, errors included, and on the log line of the request', async () => {
    const ok = await gateway.fetch('/sandbox/.well-known/jwks.json');
    const refused = await gateway.exchange('sandbox', key.applicationId, 'sk_sbx_nope');
    const missing = await gateway.fetch('/nowhere');
    const ids = [ok, refused, missing].map((response) => response.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(3);
    const line = gateway.logs.map((text) => JSON.parse(text)).find((entry) => entry.requestId === ids[1]);
    expect(line).toMatchObject({ level: 'info', message: 'request', method: 'POST', path: '/sandbox/oauth/token', status: 401 });
  });

  it('adopts a caller-supplied request id when it is sane, and replaces one that is not', async () => {
    const adopted = await gateway.fetch('/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(adopted.headers.get('x-request-id')).toBe('trace-abc.123');
    const replaced = await gateway.fetch('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers /healthz and /readyz with the state of the database and Redis', async () => {
    expect(await (await gateway.fetch('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await gateway.fetch('/readyz');
    expect(ready.status).toBe(200);
    const expected = redisUrl() ? { database: 'ok', redis: 'ok' } : { database: 'ok' };
    expect(await ready.json()).toEqual({ status: 'ready', checks: expected });
  });

  it('counts minted and refused tokens by reason, cache hits, and request latency per route', async () => {
    await gateway.mint('sandbox', key);
    await gateway.mint('sandbox', key);
    await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'b' });
    const response = await gateway.fetch('/metrics');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/keymint_tokens_minted_total\{environment="sandbox",cached="false"\} 1\b/);
    expect(text).toMatch(/keymint_tokens_minted_total\{environment="sandbox",cached="true"\} 1\b/);
    expect(text).toMatch(/keymint_issuance_cache_lookups_total\{result="hit"\} 1\b/);
    expect(text).toMatch(/keymint_tokens_refused_total\{environment="sandbox",reason="invalid_scope"\} 1\b/);
    expect(text).toMatch(/keymint_tokens_refused_total\{environment="sandbox",reason="malformed_secret"\} [1-9]/);
    expect(text).toMatch(/keymint_http_request_duration_seconds_count\{route="\/\{env\}\/oauth\/token",method="POST",status="200"\} 2\b/);
    expect(text).toContain('keymint_process_resident_memory_bytes');
  });
});

describe.skipIf(!redisUrl())('readiness without Redis', () => {
  let redis: ChildProcess;
  let gateway: Gateway;
  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    gateway = await startGateway({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    redis.kill('SIGKILL');
    await gateway.close();
  });

  it('answers 503 naming Redis while it is down, and counts the store errors', async () => {
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    const ready = await gateway.fetch('/readyz');
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.checks.database).toBe('ok');
    expect(body.checks.redis).toMatch(/^unavailable/);
    await gateway.exchange('sandbox', 'app_sbx_x', 'sk_sbx_x');
    expect(await (await gateway.fetch('/metrics')).text()).toMatch(/keymint_store_errors_total\{store="redis"\} [1-9]/);
  });
});
