// Issue 11 item 8: names (accounts, keys, admin tokens) refuse control and bidirectional formatting characters on
// the admin API (400 problem JSON listing the issue) and in the console (the form shows the error), and the CLI
// shows a name stored before the check escaped instead of letting it drive the operator's terminal.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from './support/admin-auth-suite.js';
import { keymint } from './support/cli-process.js';
import { ConsoleClient } from './support/console-client.js';
import { startGateway, type Gateway } from './support/gateway.js';

/** One name per kind of character refused, each hiding it between ordinary letters. */
const HOSTILE_NAMES: Array<[what: string, name: string, shown: string]> = [
  ['NUL', 'a\u0000b', 'U+0000'],
  ['ESC (an ANSI colour sequence)', 'ops\u001b[31mred', 'U+001B'],
  ['CR LF', 'first\r\nsecond', 'U+000D'],
  ['TAB', 'a\tb', 'U+0009'],
  ['DEL', 'a\u007fb', 'U+007F'],
  ['the C1 control CSI', 'a\u009b31mb', 'U+009B'],
  ['NEL', 'a\u0085b', 'U+0085'],
  ['RIGHT-TO-LEFT OVERRIDE', 'invoice\u202Etxt.exe', 'U+202E'],
  ['RIGHT-TO-LEFT ISOLATE', 'a\u2067b', 'U+2067'],
  ['LINE SEPARATOR', 'a\u2028b', 'U+2028'],
];

/** Names people really give things, which must keep working. */
const FRIENDLY_NAMES = ['Café – billing (prod)', '日本語のキー', 'تطبيق', 'dev 👩‍💻 team', 'x'.repeat(100)];

describe('control characters in names', () => {
  let gateway: Gateway;
  let accountId: string;
  let keyId: string;

  beforeAll(async () => {
    gateway = await startGateway({ sessions: 'memory', env: { KEYMINT_KEYS_PER_ENVIRONMENT: '10' } });
    accountId = (await gateway.createAccount('Names')).id;
    keyId = (await gateway.createKey(accountId, { environment: 'sandbox', name: 'plain' })).id;
  });
  afterAll(() => gateway.close());

  async function keyNames(): Promise<string[]> {
    const response = await gateway.admin('GET', `/accounts/${accountId}/keys?limit=100`);
    return ((await response.json()) as { items: { name: string }[] }).items.map((key) => key.name);
  }

  describe('admin API', () => {
    it.each(HOSTILE_NAMES)('refuses %s in a key, account or admin-token name with 400 naming the character', async (_, name, shown) => {
      const before = await keyNames();
      const attempts = [
        gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name }),
        gateway.admin('PATCH', `/accounts/${accountId}/keys/${keyId}`, { name }),
        gateway.admin('POST', '/accounts', { name }),
        gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name, role: 'viewer' }),
      ];
      for (const response of await Promise.all(attempts)) {
        const problem = await expectProblem(response, 400);
        expect(problem.code).toBe('invalid_request');
        expect(problem.issues).toEqual([{ path: 'name', message: expect.stringContaining(`control characters`) }]);
        expect(JSON.stringify(problem.issues)).toContain(`found ${shown}`);
      }
      expect(await keyNames()).toEqual(before);
    });

    it('refuses a lone surrogate', async () => {
      const response = await gateway.fetch('/admin/v1/accounts', {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.rootToken}`, 'content-type': 'application/json' },
        body: '{"name":"a\\ud800b"}',
      });
      const problem = await expectProblem(response, 400);
      expect(JSON.stringify(problem.issues)).toContain('found a lone surrogate');
    });

    it('still accepts names in any script, with emoji, and trims the spaces around them', async () => {
      for (const name of FRIENDLY_NAMES) {
        const account = await gateway.admin('POST', '/accounts', { name: ` ${name} ` });
        expect(account.status).toBe(201);
        expect(((await account.json()) as { name: string }).name).toBe(name);
        const key = await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'production', name: name.slice(0, 90) });
        expect(key.status).toBe(201);
      }
    });
  });

  describe('console', () => {
    it('shows the error on the create-key and create-account forms (400) and creates nothing', async () => {
      const root = new ConsoleClient(gateway);
      await root.signIn(gateway.rootToken);
      const before = await keyNames();
      for (const [, name] of HOSTILE_NAMES) {
        await root.page(`/console/accounts/${accountId}/sandbox`);
        const key = await root.post(`/console/accounts/${accountId}/keys`, { environment: 'sandbox', name });
        expect(key.status).toBe(400);
        expect(key.headers.get('content-type')).toMatch(/^text\/html/);
        expect(await key.text()).toContain('A name cannot hold control characters');

        await root.page('/console/accounts');
        const account = await root.post('/console/accounts', { name });
        expect(account.status).toBe(400);
        expect(await account.text()).toContain('A name cannot hold control characters');
      }
      expect(await keyNames()).toEqual(before);
    });
  });

  describe('CLI', () => {
    it('escapes a control character stored before names were checked instead of printing it raw', { timeout: 120_000 }, async () => {
      // A row written before the check existed (or by hand): ESC, CR, C1 CSI and a bidi override in the name.
      const stored = 'old\u001b]0;pwned\u0007\u001b[2J\r\u009b1m\u202Eexe.txt';
      const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'to be tampered' });
      const database = new Database(join(gateway.directory, 'keymint.db'));
      database.prepare('UPDATE api_keys SET name = ? WHERE id = ?').run(stored, key.id);
      database.close();

      const env = { KEYMINT_DATABASE: join(gateway.directory, 'keymint.db'), REDIS_URL: '' };
      const [table, json] = await Promise.all([
        keymint(['keys', 'list', '--account', accountId, '--env', 'sandbox'], env),
        keymint(['keys', 'list', '--account', accountId, '--env', 'sandbox', '--json'], env),
      ]);
      expect(table.code, table.stderr).toBe(0);
      const row = table.stdout.split('\n').find((line) => line.startsWith(key.id));
      expect(row).toContain('old\\x1B]0;pwned\\x07\\x1B[2J\\x0D\\x9B1m\\u202Eexe.txt');
      expect(json.code, json.stderr).toBe(0);
      // Still JSON with the same value, but nothing in the text a terminal would obey.
      const parsed = JSON.parse(json.stdout) as { items: { id: string; name: string }[] };
      expect(parsed.items.find((item) => item.id === key.id)?.name).toBe(stored);
      for (const output of [table.stdout, json.stdout]) {
        expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }
    });
  });
});
