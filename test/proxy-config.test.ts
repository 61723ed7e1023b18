// Configuration of the reverse proxy through the older variables: one upstream per environment with route rules
// (variables or a file), and the upstream timeout. Services (SPEC §7) are in src/config/services.test.ts and test/gateway-*.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const directory = mkdtempSync(join(tmpdir(), 'keymint-routes-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function routesFile(content: unknown): string {
  const path = join(directory, `routes-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function configError(record: Record<string, string>): string {
  try {
    loadConfig(record);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('proxy configuration', () => {
  it('has defaults: no services, a 30 s upstream timeout', () => {
    const config = loadConfig({});
    expect(config.services).toEqual({ sandbox: [], production: [] });
    expect(config.upstreamTimeoutMs).toBe(30_000);
  });

  it('reads route rules per environment, normalizing methods and paths, as one service at /', () => {
    const config = loadConfig({
      KEYMINT_UPSTREAM_SANDBOX: 'http://sandbox.internal/',
      KEYMINT_UPSTREAM_PRODUCTION: 'http://production.internal',
      KEYMINT_ROUTES_SANDBOX: JSON.stringify([{ method: 'get', path: '/orders/', scopes: ['orders:read'] }, { path: '/%6Fpen' }]),
      KEYMINT_ROUTES_PRODUCTION: '[]',
      KEYMINT_UPSTREAM_TIMEOUT_MS: '2500',
    });
    expect(config.services.sandbox).toEqual([
      {
        name: 'default',
        path: '/',
        upstream: 'http://sandbox.internal',
        audience: undefined,
        timeoutMs: 2500,
        stripPrefix: false,
        rules: [
          { method: 'GET', path: '/orders', scopes: ['orders:read'] },
          { method: '*', path: '/open', scopes: [] },
        ],
      },
    ]);
    expect(config.services.production).toEqual([expect.objectContaining({ path: '/', rules: [] })]);
    expect(config.upstreamTimeoutMs).toBe(2500);
  });

  it('reads route rules from KEYMINT_ROUTES_FILE', () => {
    const path = routesFile({ production: [{ method: 'POST', path: '/pay', scopes: ['pay'] }] });
    const config = loadConfig({ KEYMINT_ROUTES_FILE: path, KEYMINT_UPSTREAM_PRODUCTION: 'http://pay.internal' });
    expect(config.services.sandbox).toEqual([]);
    expect(config.services.production).toEqual([
      expect.objectContaining({ upstream: 'http://pay.internal', rules: [{ method: 'POST', path: '/pay', scopes: ['pay'] }] }),
    ]);
  });

  it('refuses bad rules, naming the variable and the place', () => {
    expect(configError({ KEYMINT_ROUTES_SANDBOX: 'not json' })).toContain('KEYMINT_ROUTES_SANDBOX: is not valid JSON');
    expect(configError({ KEYMINT_ROUTES_PRODUCTION: '{"path":"/"}' })).toContain(
      'KEYMINT_ROUTES_PRODUCTION: must be a JSON array',
    );
    const message = configError({
      KEYMINT_ROUTES_SANDBOX: JSON.stringify([
        { path: '/ok', scopes: ['a'] },
        { method: 'GE T', path: 'orders', scopes: ['has space', 'ok'], extra: 1 },
      ]),
    });
    expect(message).toContain('KEYMINT_ROUTES_SANDBOX: [1].method: must be an HTTP method or *');
    expect(message).toContain('KEYMINT_ROUTES_SANDBOX: [1].path: must start with /');
    expect(message).toContain('KEYMINT_ROUTES_SANDBOX: [1].scopes[0]: is not a valid scope name');
    expect(message).toContain('KEYMINT_ROUTES_SANDBOX: [1]: Unrecognized key: "extra"');
    expect(configError({ KEYMINT_ROUTES_SANDBOX: '[{"path":"/x?y=1"}]' })).toContain('[0].path');
    // A request path with an empty segment is refused (400), so such a rule could never apply.
    expect(configError({ KEYMINT_ROUTES_SANDBOX: '[{"path":"/admin//x"}]' })).toContain(
      'KEYMINT_ROUTES_SANDBOX: [0].path: must not hold an empty segment (//)',
    );
    expect(configError({ KEYMINT_ROUTES_SANDBOX: '[{"path":"//admin"}]' })).toContain('[0].path: must not hold an empty segment');
  });

  it('refuses a bad routes file, naming KEYMINT_ROUTES_FILE', () => {
    expect(configError({ KEYMINT_ROUTES_FILE: join(directory, 'missing.json') })).toMatch(
      /KEYMINT_ROUTES_FILE: cannot be read: ENOENT/,
    );
    expect(configError({ KEYMINT_ROUTES_FILE: routesFile('{') })).toContain('KEYMINT_ROUTES_FILE: is not valid JSON');
    expect(configError({ KEYMINT_ROUTES_FILE: routesFile({ prod: [] }) })).toContain('Unrecognized key: "prod"');
    expect(configError({ KEYMINT_ROUTES_FILE: routesFile({ sandbox: [{ path: 'x' }] }) })).toContain(
      'KEYMINT_ROUTES_FILE: sandbox[0].path: must start with /',
    );
    expect(
      configError({ KEYMINT_ROUTES_FILE: routesFile({}), KEYMINT_ROUTES_SANDBOX: '[]' }),
    ).toContain('KEYMINT_ROUTES_FILE: set either KEYMINT_ROUTES_FILE or KEYMINT_ROUTES_SANDBOX');
  });

  it('refuses a bad upstream or timeout', () => {
    expect(configError({ KEYMINT_UPSTREAM_TIMEOUT_MS: '0' })).toContain('KEYMINT_UPSTREAM_TIMEOUT_MS');
    expect(configError({ KEYMINT_UPSTREAM_TIMEOUT_MS: '1.5' })).toContain('KEYMINT_UPSTREAM_TIMEOUT_MS: must be a whole number');
    expect(configError({ KEYMINT_UPSTREAM_SANDBOX: 'ftp://x' })).toContain('KEYMINT_UPSTREAM_SANDBOX');
  });

  // A tsx start-up on a loaded machine can take tens of seconds (as in test/support/keymint-process.ts).
  it('stops a real start-up with exit code 1 and a message naming the variable', { timeout: 90_000 }, () => {
    const result = spawnSync(join('node_modules', '.bin', 'tsx'), ['src/runtime/node.ts'], {
      env: {
        PATH: process.env.PATH,
        KEYMINT_DATABASE: join(directory, 'never.db'),
        KEYMINT_PORT: '0',
        KEYMINT_ROUTES_PRODUCTION: '[{"method":"GET","path":"/orders","scopes":"orders:read"}]',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('KEYMINT_ROUTES_PRODUCTION: [0].scopes:');
  });
});
