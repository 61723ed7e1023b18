// Redis stopped mid-run: minting answers 503 fast, stateless parts keep working, and it recovers on its own.
import type { ChildProcess } from 'node:child_process';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { freePort, startRedisServer } from './support/redis-server.js';
import { startUpstream, type Upstream } from './support/upstream.js';

describe.skipIf(!redisUrl())('a Redis outage', () => {
  let port: number;
  let redis: ChildProcess;
  let gateway: Gateway;
  let accountId: string;
  let key: ApiKeyWithSecret;
  let upstream: Upstream;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
    upstream = await startUpstream();
    gateway = await startGateway({
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, KEYMINT_ISSUANCE_CACHE: 'false', KEYMINT_UPSTREAM_SANDBOX: upstream.url },
    });
    accountId = (await gateway.createAccount()).id;
    key = await gateway.createKey(accountId, { environment: 'sandbox', scopes: ['read'] });
  });
  afterAll(async () => {
    redis.kill('SIGKILL');
    await gateway.close();
    await upstream.close();
  });

  it('answers 503 within 2 s, keeps JWKS verification and the admin API, and recovers without a restart', async () => {
    const before = await gateway.mint('sandbox', key);

    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));

    const started = Date.now();
    const refused = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await refused.json()).toMatchObject({ error: 'temporarily_unavailable' });

    // Stateless verification needs no Redis.
    const jwks = createRemoteJWKSet(new URL(`${gateway.issuer('sandbox')}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(before, jwks, { issuer: gateway.issuer('sandbox') });
    expect(payload.sub).toBe(key.applicationId);

    // The proxy's Api-Key needs no Redis either: its failure limit waits for Redis rather than refusing.
    const proxied = await gateway.fetch('/sandbox/api/orders', { headers: { 'api-key': key.applicationSecret } });
    expect(proxied.status).toBe(200);
    const guessed = await gateway.fetch('/sandbox/api/orders', { headers: { 'api-key': `${key.applicationSecret.slice(0, -1)}x` } });
    expect(guessed.status).toBe(401);

    // The admin API lives in SQLite.
    const second = await gateway.createKey(accountId, { environment: 'sandbox' });
    expect(second.applicationSecret).toMatch(/^sk_sbx_/);

    redis = await startRedisServer(port);
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  });
});
