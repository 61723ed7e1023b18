// The deployable artifact: `wrangler deploy --dry-run` bundles offline, holds no Node-only module, stays small,
// and runs in plain workerd (no nodejs_compat) on D1 and Workers KV.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPoster } from '../support/admin-post.js';

const MAX_GZIP_BYTES = 300 * 1024;
// The Node-only packages of the Node runtime: none may reach the Worker.
const NODE_PACKAGES = /better-sqlite3|ioredis|@hono\/node-server|prom-client/g;
// A static import or require of a Node built-in. (Guarded run-time look-ups such as
// `globalThis.process?.getBuiltinModule?.('node:fs')` are fine: they find nothing on Workers and say so.)
const builtins = builtinModules.map((name) => name.replace(/[/]/g, '\\/')).join('|');
const NODE_BUILTIN_IMPORTS = new RegExp(`(?:\\bfrom|\\bimport|\\brequire)\\s*\\(?\\s*["'](?:node:)?(?:${builtins})["']`, 'g');
const ROOT_TOKEN = 'root_bundle_test_token_0123456789abcdefgh';

const run = promisify(execFile);

describe('the Worker bundle', () => {
  let outdir: string;
  let code: string;
  let mf: Miniflare;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'keymint-worker-'));
    await run(
      process.execPath,
      ['node_modules/wrangler/bin/wrangler.js', 'deploy', '--dry-run', '--minify', '--outdir', outdir],
      { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
    code = readFileSync(join(outdir, 'worker.js'), 'utf8');

    const compatibilityDate = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(readFileSync('wrangler.toml', 'utf8'))![1];
    mf = new Miniflare({
      modules: true,
      scriptPath: join(outdir, 'worker.js'),
      modulesRoot: outdir,
      compatibilityDate,
      compatibilityFlags: [],
      d1Databases: ['DB'],
      kvNamespaces: ['SESSIONS'],
      // Every Durable Object class wrangler.toml binds, SQLite-backed as its migrations declare: the bundle must
      // export each, and run each without nodejs_compat.
      durableObjects: Object.fromEntries(
        [...readFileSync('wrangler.toml', 'utf8').matchAll(/^name = "(\w+)"\nclass_name = "(\w+)"/gm)].map(([, name, className]) => [
          name!,
          { className: className!, useSQLite: true },
        ]),
      ),
      bindings: { KEYMINT_ADMIN_TOKEN: ROOT_TOKEN, KEYMINT_SECRET_PEPPER: 'bundle_test_pepper_0123456789abcdefghijk' },
    });
    const db = await mf.getD1Database('DB');
    for (const migration of await readD1Migrations('db/migrations')) {
      await db.batch(migration.queries.map((query) => db.prepare(query)));
    }
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('holds no Node-only module', () => {
    expect(code.match(NODE_PACKAGES) ?? []).toEqual([]);
    expect(code.match(NODE_BUILTIN_IMPORTS) ?? []).toEqual([]);
    // The check itself must see an import when there is one.
    expect('import{readFileSync as r}from"node:fs";'.match(NODE_BUILTIN_IMPORTS)).toHaveLength(1);
    expect('const n=require("crypto");'.match(NODE_BUILTIN_IMPORTS)).toHaveLength(1);
  });

  it(`stays within ${MAX_GZIP_BYTES / 1024} KiB gzipped`, () => {
    const minified = Buffer.byteLength(code);
    const gzipped = gzipSync(code, { level: 9 }).byteLength;
    console.info(`worker bundle: ${(minified / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzip`);
    expect(gzipped).toBeLessThanOrEqual(MAX_GZIP_BYTES);
  });

  it('mints and introspects a token in workerd without nodejs_compat', async () => {
    const origin = 'https://keymint.example';
    // Miniflare's own Response type; the same methods at run time.
    const adminCall = adminPoster((url, init) => mf.dispatchFetch(url, init as never) as unknown as Promise<Response>, origin, ROOT_TOKEN);
    const account = await adminCall('/accounts', { name: 'Bundle' });
    const key = await adminCall(`/accounts/${account.id}/keys`, { environment: 'production', name: 'k', scopes: ['a'] });
    const credentials = { client_id: key.applicationId!, client_secret: key.applicationSecret! };
    const minted = await mf.dispatchFetch(`${origin}/production/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...credentials }).toString(),
    });
    expect(minted.status).toBe(200);
    const { access_token: token } = (await minted.json()) as { access_token: string };
    const introspected = await mf.dispatchFetch(`${origin}/production/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...credentials }).toString(),
    });
    expect(await introspected.json()).toMatchObject({ active: true, scope: 'a', iss: `${origin}/production` });
    // The session is in its Durable Object: revoked there, it reads revoked at once.
    const revoked = await mf.dispatchFetch(`${origin}/production/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...credentials }).toString(),
    });
    expect(revoked.status).toBe(200);
    const after = await mf.dispatchFetch(`${origin}/production/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...credentials }).toString(),
    });
    expect(await after.json()).toEqual({ active: false });
  });

  it('binds every Durable Object class of wrangler.toml', async () => {
    const bindings = Object.keys(await mf.getBindings());
    expect(bindings).toEqual(expect.arrayContaining(['FAILURE_COUNTERS', 'REPLAY_RECORDS', 'KEY_LIMITS', 'SESSION_RECORDS', 'USAGE_COUNTS']));
  });
});
