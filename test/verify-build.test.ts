// `npm run build`, then `import { sessionAuth } from 'keymint/verify'` in plain Node (no tsx) against a running keymint.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

/** Every bare or node: import reachable from a built file through its relative imports. */
function externalImports(entry: string): Set<string> {
  const found = new Set<string>();
  const visited = new Set<string>();
  const visit = (file: string) => {
    if (visited.has(file)) return;
    visited.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!));
      else found.add(specifier!);
    }
  };
  visit(entry);
  return found;
}

// Runs in a child `node`: resolves the package by its own name, as a dependent project would.
const CHILD = `
import { Hono } from 'hono';
import { sessionAuth } from 'keymint/verify';
import * as keymint from 'keymint';
const app = new Hono();
app.get('/orders', sessionAuth({ issuer: process.env.ISSUER, requiredScopes: ['orders:read'] }), (c) =>
  c.json(c.get('keymintSession')),
);
const call = async (token) => {
  const response = await app.request('/orders', { headers: { authorization: 'Bearer ' + token } });
  return { status: response.status, body: await response.json() };
};
console.log(JSON.stringify({
  resolved: import.meta.resolve('keymint/verify'),
  rootExports: Object.keys(keymint).sort(),
  valid: await call(process.env.TOKEN),
  narrow: await call(process.env.NARROW_TOKEN),
  garbage: await call('garbage'),
}));
`;

describe('the built package', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  it('builds, and keymint/verify works from plain Node', { timeout: 240_000 }, async () => {
    await run('npm', ['run', 'build'], { cwd: root, timeout: 220_000 }).catch((error: { stdout?: string }) => {
      throw new Error(`npm run build failed:\n${error.stdout?.slice(-4000) ?? String(error)}`);
    });

    const imports = externalImports(join(root, 'dist/src/verify.js'));
    expect([...imports].sort()).toEqual(['hono/http-exception', 'jose', 'zod']);

    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['orders:read', 'reports'] });
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: root,
      // Only what plain Node needs: no NODE_OPTIONS, so no tsx or vitest loader.
      env: {
        PATH: process.env.PATH,
        ISSUER: gateway.issuer('sandbox'),
        TOKEN: await gateway.mint('sandbox', key),
        NARROW_TOKEN: await gateway.mint('sandbox', key, 'reports'),
      },
      timeout: 20_000,
    });
    const result = JSON.parse(stdout) as Record<string, { status: number; body: Record<string, unknown> }> & {
      resolved: string;
      rootExports: string[];
    };
    expect(result.resolved).toMatch(/\/dist\/src\/verify\.js$/);
    expect(result.rootExports).toEqual(expect.arrayContaining(['createApp', 'loadConfig', 'sessionAuth']));
    expect(result.valid).toMatchObject({
      status: 200,
      body: { client_id: key.applicationId, acct: account.id, env: 'sandbox', scopes: ['orders:read', 'reports'] },
    });
    expect(result.narrow).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    expect(result.garbage).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });
});
