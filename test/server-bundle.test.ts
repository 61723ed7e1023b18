// What `npm start` runs: the esbuild bundle of the Node server, started with plain `node` outside src/.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../scripts/build-server.mjs';
import { randomBase62 } from '../src/shared/encoding.js';
import { basic, redisUrl } from './support/gateway.js';
import { adminPoster } from './support/admin-post.js';
import { startKeymintProcess, type KeymintProcess } from './support/keymint-process.js';
import { freePort } from './support/redis-server.js';

const ROOT = `root_${randomBase62(40)}`;

describe('the server bundle (npm start)', () => {
  // Inside node_modules/.cache so the bundle's external packages (better-sqlite3, pino) resolve as from dist/.
  const cache = join(process.cwd(), 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, 'keymint-server-'));
  const dataDir = mkdtempSync(join(cache, 'keymint-server-data-'));
  let bundle: { entry: string; kib: number };
  let keymint: KeymintProcess;

  beforeAll(async () => {
    bundle = await buildServer(outDir);
    // Marks the copy beside the bundle, to tell it from the one in node_modules when /docs serves it.
    appendFileSync(join(outDir, 'assets', 'scalar-standalone.js'), '\n// the copy beside the bundle\n');
    keymint = await startKeymintProcess({
      directory: dataDir,
      port: await freePort(),
      entry: [bundle.entry],
      env: { KEYMINT_ADMIN_TOKEN: ROOT, REDIS_URL: redisUrl() ?? '', KEYMINT_REDIS_PREFIX: `b${randomBase62(8)}` },
    });
  }, 60_000);
  afterAll(async () => {
    await keymint?.stop();
    rmSync(outDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is one file with its migrations beside it', () => {
    expect(bundle.entry).toBe(join(outDir, 'keymint.mjs'));
    expect(existsSync(join(outDir, 'db', 'migrations', 'meta', '_journal.json'))).toBe(true);
    // /docs's script is copied beside it, never inlined (Scalar's bundle is ~3.5 MB).
    expect(existsSync(join(outDir, 'assets', 'scalar-standalone.js'))).toBe(true);
    expect(bundle.kib).toBeLessThan(3000);
    expect(bundle.kib).toBeGreaterThan(100);
  });

  it('migrates a new database and mints tokens that verify against its JWKS', async () => {
    const admin = adminPoster(fetch, keymint.url, ROOT);
    const account = await admin('/accounts', { name: 'bundle' });
    const key = await admin(`/accounts/${account.id}/keys`, { environment: 'production', name: 'k' });
    const response = await fetch(`${keymint.url}/production/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(key.applicationId!, key.applicationSecret!), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    const jwks = createRemoteJWKSet(new URL(`${keymint.url}/production/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(access_token, jwks, {
      issuer: `http://localhost:${keymint.port}/production`,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ sub: key.applicationId, env: 'production', acct: account.id });
  });

  it('serves the OpenAPI document and the console, which load parts of it on demand', async () => {
    const document = await fetch(`${keymint.url}/openapi.json`);
    expect(document.status).toBe(200);
    expect(((await document.json()) as { openapi: string }).openapi).toBe('3.1.0');
    const docs = await (await fetch(`${keymint.url}/docs`)).text();
    const script = /src="(\/docs\/assets\/scalar-standalone\.[\w-]+\.js)"/.exec(docs)?.[1];
    expect(script).toBeDefined();
    const served = await fetch(`${keymint.url}${script}`);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe(readFileSync(join(outDir, 'assets', 'scalar-standalone.js'), 'utf8'));
    const console = await fetch(`${keymint.url}/console/sign-in`);
    expect(console.status).toBe(200);
    expect(await console.text()).toContain('<form');
  });
});
