// The keymint CLI as a user runs it: `node bin/keymint.js …` as a child process, first on a SQLite file directly
// (no Redis), then against a running gateway on that same database with --url and --admin-token.
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/commands/index.js';
import { startGateway, type ApiKeyWithSecret, type Gateway } from './support/gateway.js';
import { freePort } from './support/redis-server.js';
import { keymint, type Run } from './support/cli-process.js';

// Each run starts a Node process with tsx; on a busy machine that is seconds, not milliseconds.
const SLOW = 120_000;

function json<T>(run: Run): T {
  expect(run, run.stderr).toMatchObject({ code: 0 });
  return JSON.parse(run.stdout) as T;
}

describe('keymint CLI', () => {
  let directory: string;
  let local: Record<string, string>;
  let accountId: string;
  let key: ApiKeyWithSecret;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'keymint-cli-'));
    // The limit of 1 lets the second create below meet a 409.
    local = { KEYMINT_DATABASE: join(directory, 'keymint.db'), REDIS_URL: '', KEYMINT_KEYS_PER_ENVIRONMENT: '1' };
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('--help lists every command, keys --help every key command; usage errors exit 2 with the usage', { timeout: SLOW }, async () => {
    const [help, keysHelp, badEnv, unknown, missing, noSessions, emptyEdit] = await Promise.all([
      // bin/keymint.js itself, as `npx keymint` runs it (the other runs use the same sources, bundled).
      keymint(['--help'], {}, { bin: true }),
      keymint(['keys', '--help']),
      keymint(['keys', 'create', '--account', 'acct_x', '--env', 'prod', '--name', 'x'], local),
      keymint(['keys', 'frobnicate'], local),
      keymint(['accounts', 'create', '--json'], local),
      keymint(['keys', 'revoke-sessions', '--account', 'acct_x', '--key', 'key_x', '--database', join(directory, 'other.db')], local),
      keymint(['keys', 'edit', '--account', 'acct_x', '--key', 'key_x'], local),
    ]);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toContain(command.path.join(' '));
    expect(help.stdout).toMatch(/Exit codes: 0 .*1 .*2 .*3 /);
    expect(keysHelp.code).toBe(0);
    for (const command of COMMANDS.filter((candidate) => candidate.path[0] === 'keys')) {
      expect(keysHelp.stdout).toContain(`keymint keys ${command.path[1]} `);
    }

    expect(badEnv).toMatchObject({ code: 2, stdout: '' });
    expect(badEnv.stderr).toContain('--env must be sandbox or production');
    expect(badEnv.stderr).toContain('Usage: keymint keys create --account <id> --env <sandbox|production> --name <name>');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command: keys frobnicate');
    expect(unknown.stderr).toContain('Usage: keymint keys <command>');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('accounts create needs --name');
    // An in-process session store is not the gateway's: revoking there would revoke nothing.
    expect(noSessions.code).toBe(2);
    expect(noSessions.stderr).toContain('REDIS_URL');
    // An edit that changes nothing is a mistake on the command line, caught before the database is opened.
    expect(emptyEdit).toMatchObject({ code: 2, stdout: '' });
    expect(emptyEdit.stderr).toContain('keys edit needs at least one of --name, --scopes, --expires-at');
  });

  describe('on the local database', () => {
    it('migrate applies the migrations and says so', { timeout: SLOW }, async () => {
      const first = await keymint(['migrate'], local);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^applied \d+ migrations? to .*keymint\.db/);
      const total = Number(/\((\d+) in all\)/.exec(first.stdout)?.[1]);
      expect(total).toBeGreaterThan(0);
      const again = json<{ applied: number; total: number }>(await keymint(['migrate', '--json'], local));
      expect(again).toMatchObject({ applied: 0, total });
      expect((await keymint(['migrate'], local)).stdout).toMatch(new RegExp(`keymint\\.db is up to date \\(${total} migrations\\)`));
    });

    it('creates an account and a key whose secret is printed once; a second key past the limit is a 409', { timeout: SLOW }, async () => {
      accountId = json<{ id: string }>(await keymint(['accounts', 'create', '--name', 'Acme', '--json'], local)).id;
      expect(accountId).toMatch(/^acct_/);
      const create = ['keys', 'create', '--account', accountId, '--env', 'sandbox', '--name', 'ci', '--scopes', 'a,b'];
      key = json<ApiKeyWithSecret>(await keymint([...create, '--json'], local));
      expect(key).toMatchObject({ id: expect.stringMatching(/^key_/), environment: 'sandbox', scopes: ['a', 'b'], status: 'active' });
      expect(key.applicationId).toMatch(/^app_sbx_/);
      expect(key.applicationSecret).toMatch(/^sk_sbx_[0-9A-Za-z]{38,}$/);

      const overLimit = await keymint(create, local);
      expect(overLimit).toMatchObject({ code: 1, stdout: '' });
      expect(overLimit.stderr).toBe('keymint: Limit exceeded: this account already has 1 keys in sandbox; delete one first\n');
    });

    it('lists keys as a table, never with a secret', { timeout: SLOW }, async () => {
      const list = await keymint(['keys', 'list', '--account', accountId, '--env', 'sandbox'], local);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/^ID +ENV +NAME +APPLICATION ID +STATUS/);
      expect(list.stdout).toMatch(new RegExp(`${key.id} +sandbox +ci +${key.applicationId} +active +a b`));
      expect(list.stdout + list.stderr).not.toContain(key.applicationSecret);
    });

    it('rotates a signing key', { timeout: SLOW }, async () => {
      const rotated = json<{ kid: string; status: string }>(await keymint(['signing-keys', 'rotate', '--env', 'sandbox', '--json'], local));
      expect(rotated.status).toBe('active');
    });

    it('refuses (exit 3) a database whose keys were hashed with a pepper it does not have', { timeout: SLOW }, async () => {
      const pepperFile = join(directory, 'secret-pepper');
      renameSync(pepperFile, `${pepperFile}.away`);
      try {
        const refused = await keymint(['keys', 'list', '--account', accountId], local);
        expect(refused).toMatchObject({ code: 3, stdout: '' });
        expect(refused.stderr).toContain('run the CLI with the gateway’s KEYMINT_SECRET_PEPPER');
        expect(existsSync(pepperFile)).toBe(false);
      } finally {
        renameSync(`${pepperFile}.away`, pepperFile);
      }
    });
  });

  describe('against a running gateway (--url, --admin-token)', () => {
    let gateway: Gateway;
    let remote: string[];
    const token = (secret: string, extra: string[] = []) =>
      keymint(['token', '--env', 'sandbox', '--client-id', key.applicationId, '--url', gateway.url, ...extra], {
        KEYMINT_CLIENT_SECRET: secret,
      });

    beforeAll(async () => {
      // The same database and pepper file the local runs used.
      gateway = await startGateway({ directory });
      remote = ['--url', gateway.url, '--admin-token', gateway.rootToken];
    });
    afterAll(() => gateway?.close());

    it('token exchanges a key created on the local database for a session token', { timeout: SLOW }, async () => {
      const minted = await token(key.applicationSecret, ['--scope', 'a']);
      expect(minted.code, minted.stderr).toBe(0);
      const claims = decodeJwt(minted.stdout.trim());
      expect(claims).toMatchObject({ client_id: key.applicationId, scope: 'a', env: 'sandbox', acct: accountId });
    });

    it("keys usage prints the key's usage: the token just minted", { timeout: SLOW }, async () => {
      const target = ['--account', accountId, '--key', key.id];
      const [asJson, asTable, byDay, badGranularity, onLocal] = await Promise.all([
        keymint(['keys', 'usage', ...target, ...remote, '--json']),
        keymint(['keys', 'usage', ...target, ...remote]),
        keymint(['keys', 'usage', ...target, '--granularity', 'day', ...remote, '--json']),
        keymint(['keys', 'usage', ...target, '--granularity', 'week', ...remote]),
        // Usage counted in a gateway's memory or Redis is not in the database file.
        keymint(['keys', 'usage', ...target], local),
      ]);
      const usage = json<{ keyId: string; points: unknown[]; totals: { tokens: number; calls: Record<string, number> } }>(asJson);
      expect(usage).toMatchObject({ keyId: key.id, totals: { tokens: 1, calls: { '2xx': 0 } } });
      expect(usage.points).toHaveLength(24);
      expect(asTable.code, asTable.stderr).toBe(0);
      expect(asTable.stdout.split('\n')[0]).toMatch(/^START \(UTC\) +TOKENS +2XX +3XX +4XX +5XX +BAD CREDENTIALS +RATE LIMITED +QUOTA EXCEEDED$/);
      expect(asTable.stdout).toMatch(/\ntotal +1 +0 +0 +0 +0 +0 +0 +0\n/);
      expect(json<{ points: unknown[] }>(byDay).points).toHaveLength(30);
      expect(badGranularity.code).toBe(2);
      expect(badGranularity.stderr).toContain('--granularity must be hour or day');
      expect(onLocal.code).toBe(2);
      expect(onLocal.stderr).toContain('REDIS_URL');
    });

    it('keys create and set-limits set and remove limits; bad spellings and out-of-bounds values are refused', { timeout: SLOW }, async () => {
      // An account of its own, so the audit log of the one above stays as the last test reads it.
      const other = json<{ id: string }>(await keymint(['accounts', 'create', '--name', 'Limited', ...remote, '--json']));
      const limited = json<{ id: string; tokenRateLimit: unknown }>(
        await keymint(['keys', 'create', '--account', other.id, '--env', 'sandbox', '--name', 'l', '--token-rate-limit', '10/60', ...remote, '--json']),
      );
      expect(limited.tokenRateLimit).toEqual({ requests: 10, windowSeconds: 60 });
      const target = ['--account', other.id, '--key', limited.id, ...remote];
      const [set, badSpelling, outOfBounds, nothing] = await Promise.all([
        keymint(['keys', 'set-limits', ...target, '--rate-limit', '50/60', '--quota', '100000/month', '--json']),
        keymint(['keys', 'set-limits', ...target, '--quota', '100000/week']),
        keymint(['keys', 'set-limits', ...target, '--rate-limit', '0/60']),
        keymint(['keys', 'set-limits', ...target]),
      ]);
      expect(json(set)).toMatchObject({
        rateLimit: { requests: 50, windowSeconds: 60 },
        quota: { requests: 100000, period: 'month' },
        tokenRateLimit: { requests: 10, windowSeconds: 60 },
      });
      expect(badSpelling.code).toBe(2);
      expect(badSpelling.stderr).toContain('--quota must be <requests>/day or <requests>/month');
      expect(outOfBounds.code).toBe(1);
      expect(outOfBounds.stderr).toContain('rateLimit.requests');
      expect(nothing.code).toBe(2);
      const cleared = await keymint(['keys', 'set-limits', ...target, '--rate-limit', 'none', '--quota', 'none']);
      expect(cleared.code, cleared.stderr).toBe(0);
      expect(cleared.stdout).toMatch(/rateLimit +none/);
      expect(cleared.stdout).toMatch(/quota +none/);
    });

    it('regenerate: the new pair mints, the old secret is refused with exit 1', { timeout: SLOW }, async () => {
      const regenerated = json<ApiKeyWithSecret>(
        await keymint(['keys', 'regenerate', '--account', accountId, '--key', key.id, '--env', 'sandbox', ...remote, '--json']),
      );
      expect(regenerated.id).toBe(key.id);
      expect(regenerated.applicationSecret).toMatch(/^sk_sbx_/);
      const old = await keymint(
        ['token', '--env', 'sandbox', '--client-id', key.applicationId, '--client-secret', key.applicationSecret, '--url', gateway.url],
      );
      expect(old).toMatchObject({ code: 1, stdout: '' });
      expect(old.stderr).toContain('invalid_client');
      key = regenerated;
      const fresh = json<{ access_token: string; token_type: string }>(await token(key.applicationSecret, ['--json']));
      expect(fresh.token_type).toBe('Bearer');
    });

    it('regenerate --overlap keeps the old pair minting until retire-previous stops it', { timeout: SLOW }, async () => {
      const target = ['--account', accountId, '--key', key.id, ...remote];
      const badOverlap = await keymint(['keys', 'regenerate', ...target, '--overlap', 'an hour']);
      expect(badOverlap).toMatchObject({ code: 2, stdout: '' });
      const rolled = json<ApiKeyWithSecret & { previous: { applicationId: string } | null }>(
        await keymint(['keys', 'regenerate', ...target, '--overlap', '3600', '--json']),
      );
      expect(rolled.previous).toMatchObject({ applicationId: key.applicationId });
      expect((await token(key.applicationSecret)).code).toBe(0);
      const shown = await keymint(['keys', 'retire-previous', ...target]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).not.toContain('previous');
      expect((await token(key.applicationSecret)).code).toBe(1);
      key = rolled;
      expect((await token(key.applicationSecret)).code).toBe(0);
    });

    it('accounts list and admin-tokens list/delete: the operator sees tokens (never their value) and revokes them', { timeout: SLOW }, async () => {
      const listed = json<{ items: Array<{ id: string; name: string }> }>(await keymint(['accounts', 'list', ...remote, '--json']));
      expect(listed.items.map((account) => account.id)).toContain(accountId);
      const created = await gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name: 'deploy bot', role: 'manager' });
      const adminToken = (await created.json()) as { id: string; token: string };
      const table = await keymint(['admin-tokens', 'list', '--account', accountId, ...remote]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/deploy bot\s+manager/);
      expect(table.stdout).not.toContain(adminToken.token);
      const deleted = await keymint(['admin-tokens', 'delete', '--account', accountId, '--token-id', adminToken.id, ...remote]);
      expect(deleted).toMatchObject({ code: 0, stdout: `deleted ${adminToken.id}\n` });
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, adminToken.token)).status).toBe(401);
      const again = await keymint(['admin-tokens', 'delete', '--account', accountId, '--token-id', adminToken.id, ...remote]);
      expect(again.code).toBe(1);
    });

    it('edit changes name, scopes and expiry; the token endpoint sees each at once; --expires-at never clears it', { timeout: SLOW }, async () => {
      const target = ['--account', accountId, '--key', key.id, ...remote];
      const edited = json<{ name: string; scopes: string[]; expiresAt: string | null }>(
        await keymint(['keys', 'edit', ...target, '--name', 'ci (renamed)', '--scopes', 'b', '--json']),
      );
      expect(edited).toMatchObject({ name: 'ci (renamed)', scopes: ['b'], expiresAt: null });
      const removed = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'a' });
      expect(removed.status).toBe(400);
      expect(await removed.json()).toMatchObject({ error: 'invalid_scope' });
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'b' })).status).toBe(200);

      const soon = new Date(Date.now() + 86_400_000).toISOString();
      const expiring = await keymint(['keys', 'edit', ...target, '--expires-at', soon]);
      expect(expiring.code, expiring.stderr).toBe(0);
      expect(expiring.stdout).toMatch(new RegExp(`^expiresAt +${soon.replace(/[.]/g, '\\.')}$`, 'm'));
      expect(expiring.stdout).toMatch(/^name +ci \(renamed\)$/m);
      const past = await keymint(['keys', 'edit', ...target, '--expires-at', '2001-01-01T00:00:00Z']);
      expect(past).toMatchObject({ code: 1, stdout: '' });
      expect(past.stderr).toContain('expiresAt must be in the future');
      const cleared = json<{ expiresAt: string | null; scopes: string[] }>(
        await keymint(['keys', 'edit', ...target, '--expires-at', 'never', '--scopes', 'a,b', '--json']),
      );
      expect(cleared).toMatchObject({ expiresAt: null, scopes: ['a', 'b'] });
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'a' })).status).toBe(200);
    });

    it('disable, enable and delete take effect on the gateway at once; --env guards the environment', { timeout: SLOW }, async () => {
      const target = ['--account', accountId, '--key', key.id, ...remote, '--json'];
      const wrongEnv = await keymint(['keys', 'disable', '--env', 'production', ...target]);
      expect(wrongEnv.code).toBe(1);
      expect(wrongEnv.stderr).toContain(`${key.id} is a sandbox key, not production`);

      expect(json<{ status: string }>(await keymint(['keys', 'disable', ...target])).status).toBe('disabled');
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(401);
      expect(json<{ status: string }>(await keymint(['keys', 'enable', ...target])).status).toBe('active');
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(200);
      expect(json(await keymint(['keys', 'delete', ...target]))).toEqual({ id: key.id, deleted: true });
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(401);
    });

    it('rotates a signing key: the new kid is in the JWKS', { timeout: SLOW }, async () => {
      const rotated = json<{ kid: string }>(await keymint(['signing-keys', 'rotate', '--env', 'production', ...remote, '--json']));
      const jwks = (await (await gateway.fetch('/production/.well-known/jwks.json')).json()) as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((jwk) => jwk.kid)).toContain(rotated.kid);
    });

    it('every change, local or remote, is in the audit log as root', async () => {
      const response = await gateway.admin('GET', `/accounts/${accountId}/operations?limit=100`);
      const { items } = (await response.json()) as { items: Array<{ action: string; actor: string }> };
      expect(items.map((operation) => operation.action).reverse()).toEqual([
        'account.created',
        'key.created',
        'key.regenerated',
        'key.regenerated',
        'key.previous_retired',
        'admin_token.created',
        'admin_token.revoked',
        'key.updated',
        'key.updated',
        'key.updated',
        'key.disabled',
        'key.enabled',
        'key.deleted',
      ]);
      expect(new Set(items.map((operation) => operation.actor))).toEqual(new Set(['root']));
    });

    it('a refused admin token exits 1; an unreachable --url exits 3', { timeout: SLOW }, async () => {
      const [refused, unreachable] = await Promise.all([
        keymint(['keys', 'list', '--account', accountId, '--url', gateway.url, '--admin-token', 'not-the-root-token-at-all']),
        keymint(['keys', 'list', '--account', accountId, '--url', `http://127.0.0.1:${await freePort()}`, '--admin-token', 'x'.repeat(32)]),
      ]);
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toContain('the admin token is not valid');
      expect(unreachable).toMatchObject({ code: 3, stdout: '' });
      expect(unreachable.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    });
  });
});
