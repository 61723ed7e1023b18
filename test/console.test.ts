// The web console (/console) over plain HTTP: session cookie flags, CSRF (token and Origin), the CSP and
// other headers, the secret shown once, viewer and cross-account refusals, and errors shown as pages.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/http/console/security.js';
import { createAdminToken } from './support/admin-auth-suite.js';
import { redisUrl, startGateway, type Gateway } from './support/gateway.js';
import { tokenInfo } from './support/oauth-calls.js';
import { ConsoleClient, setCookieHeaders } from './support/console-client.js';

/** The write controls of the key pages: any POST form other than sign-out, and the confirmation links. */
function writeControls(html: string): string[] {
  const forms = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1]!);
  const links = [...html.matchAll(/href="([^"]+\/(?:regenerate|delete|revoke-sessions))"/g)].map((match) => match[1]!);
  return [...forms.filter((action) => action !== '/console/sign-out'), ...links];
}

describe('web console over HTTP', () => {
  let gateway: Gateway;
  let accountId: string;
  let otherAccountId: string;
  let viewerToken: string;
  let otherManagerToken: string;
  let root: ConsoleClient;

  beforeAll(async () => {
    gateway = await startGateway();
    accountId = (await gateway.createAccount('Console Co')).id;
    otherAccountId = (await gateway.createAccount('Neighbour')).id;
    viewerToken = await createAdminToken(gateway, accountId, 'viewer');
    otherManagerToken = await createAdminToken(gateway, otherAccountId, 'manager');
    root = new ConsoleClient(gateway);
    await root.signIn(gateway.rootToken);
  });
  afterAll(() => gateway.close());

  const sandboxPath = () => `/console/accounts/${accountId}/sandbox`;

  async function keyCount(): Promise<number> {
    const response = await gateway.admin('GET', `/accounts/${accountId}/keys?environment=sandbox`);
    return ((await response.json()) as { items: unknown[] }).items.length;
  }

  /** Asserts the POST `send` makes is refused with a 403 HTML page (never problem JSON) and creates no key. */
  async function expectRefusedUnchanged(send: () => Promise<Response>, mentions?: string): Promise<void> {
    const before = await keyCount();
    const response = await send();
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    if (mentions) expect(await response.text()).toContain(mentions);
    expect(await keyCount()).toBe(before);
  }

  describe('headers', () => {
    it('sends the strict CSP, no-store and anti-framing headers on every console page', async () => {
      const client = new ConsoleClient(gateway);
      for (const path of ['/console/sign-in', '/console/no-such-page']) {
        const response = await client.request('GET', path);
        expect(response.headers.get('content-security-policy')).toBe(
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        );
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      }
      const signedIn = await root.request('GET', sandboxPath());
      expect(signedIn.status).toBe(200);
      expect(signedIn.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    });

    it('has no inline script, style or event handler that the CSP would block', async () => {
      const html = await root.page(sandboxPath());
      expect(html).not.toMatch(/<style|style="|<script(?![^>]*\ssrc=)|\son[a-z]+="/i);
      const assets = [...html.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]!);
      expect(assets).toHaveLength(3);
      for (const asset of assets) {
        const response = await gateway.fetch(asset);
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toContain('immutable');
        expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      }
    });
  });

  describe('session cookie', () => {
    it('keeps the session in an HttpOnly, SameSite=Strict cookie on Path=/console, without Secure over http', async () => {
      const client = new ConsoleClient(gateway);
      const form = await client.request('GET', '/console/sign-in');
      const [preSession] = setCookieHeaders(form, 'keymint_console');
      expect(preSession).toMatch(/; HttpOnly/);
      expect(preSession).not.toContain(gateway.rootToken);
      client.csrf = /name="_csrf" value="([0-9A-Za-z]{32})"/.exec(await form.text())![1]!;

      const response = await client.post('/console/sign-in', { token: gateway.rootToken });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/console');
      const [cookie] = setCookieHeaders(response, 'keymint_console');
      expect(cookie).toMatch(/; Path=\/console(;|$)/);
      expect(cookie).toMatch(/; HttpOnly(;|$)/);
      expect(cookie).toMatch(/; SameSite=Strict(;|$)/);
      expect(cookie).not.toMatch(/; Secure/);
      // A new CSRF token for the new session.
      expect(decodeURIComponent(cookie!)).not.toContain(client.csrf);
    });

    it('adds Secure when the request is https', async () => {
      const direct = await gateway.app.request('https://console.example/console/sign-in');
      expect(setCookieHeaders(direct, 'keymint_console')[0]).toMatch(/; Secure(;|$)/);
      const proxied = await gateway.fetch('/console/sign-in', { headers: { 'x-forwarded-proto': 'https' } });
      expect(setCookieHeaders(proxied, 'keymint_console')[0]).toMatch(/; Secure(;|$)/);
    });

    it('sends a visitor without a session to the sign-in page', async () => {
      const client = new ConsoleClient(gateway);
      for (const path of ['/console', sandboxPath(), `/console/accounts/${accountId}/operations`]) {
        const response = await client.request('GET', path);
        expect(response.status).toBe(303);
        expect(response.headers.get('location')).toBe('/console/sign-in');
      }
    });

    it('refuses a wrong token on the sign-in page, with the error on the page', async () => {
      const client = new ConsoleClient(gateway);
      await client.page('/console/sign-in');
      const response = await client.post('/console/sign-in', { token: 'kmat_NotARealTokenNotARealTokenNotARealToken123' });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('That admin token is not valid.');
      expect(client.cookies.get('keymint_console')?.value).not.toContain('.');
    });

    it('sign-out clears the cookie, and the old cookie value still works nowhere else', async () => {
      const client = new ConsoleClient(gateway);
      await client.signIn(gateway.rootToken);
      await client.page('/console/accounts');
      const response = await client.post('/console/sign-out');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/console/sign-in?notice=signed-out');
      expect(setCookieHeaders(response, 'keymint_console')[0]).toMatch(/Max-Age=0; Path=\/console/);
      expect(client.cookies.has('keymint_console')).toBe(false);
      expect((await client.request('GET', '/console/accounts')).headers.get('location')).toBe('/console/sign-in');
    });

    it('ends the session when its admin token no longer authenticates', async () => {
      const client = new ConsoleClient(gateway);
      client.cookies.set('keymint_console', { value: `${'a'.repeat(32)}.kmat_gone_gone_gone_gone_gone`, path: '/console' });
      const response = await client.request('GET', '/console/accounts');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/console/sign-in?notice=ended');
      expect(client.cookies.has('keymint_console')).toBe(false);
    });
  });

  describe('CSRF', () => {
    it('refuses a POST without the CSRF token (403), and changes nothing', async () => {
      await root.page(sandboxPath());
      await expectRefusedUnchanged(
        () => root.request('POST', `/console/accounts/${accountId}/keys`, { form: { environment: 'sandbox', name: 'forged' } }),
        'CSRF token',
      );
    });

    it('refuses a POST with the CSRF token of another session', async () => {
      const other = new ConsoleClient(gateway);
      await other.signIn(gateway.rootToken);
      await other.page('/console/accounts');
      await root.page(sandboxPath());
      await expectRefusedUnchanged(() =>
        root.request('POST', `/console/accounts/${accountId}/keys`, {
          form: { _csrf: other.csrf, environment: 'sandbox', name: 'forged' },
        }),
      );
    });

    it.each([
      ['another Origin', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }],
      ['no Origin and no Sec-Fetch-Site', { origin: '' }],
    ])('refuses a POST from %s even with the right token', async (_, headers) => {
      await root.page(sandboxPath());
      await expectRefusedUnchanged(
        () => root.post(`/console/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'cross' }, headers),
        'not sent from a keymint console page',
      );
    });

    it('refuses a JSON body, which carries no form token', async () => {
      await root.page(sandboxPath());
      await expectRefusedUnchanged(() =>
        root.request('POST', `/console/accounts/${accountId}/keys`, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ _csrf: root.csrf, environment: 'sandbox', name: 'json' }),
        }),
      );
    });

    it('refuses a sign-in without the sign-in form’s token', async () => {
      const client = new ConsoleClient(gateway);
      const response = await client.request('POST', '/console/sign-in', { form: { token: gateway.rootToken } });
      expect(response.status).toBe(403);
      expect(setCookieHeaders(response, 'keymint_console').join()).not.toContain(encodeURIComponent(gateway.rootToken));
    });
  });

  describe('keys', () => {
    it('shows a new secret once, on a no-store page reached by 303, then never again', async () => {
      await root.page(sandboxPath());
      const created = await root.post(`/console/accounts/${accountId}/keys`, {
        environment: 'sandbox',
        name: 'once',
        scopes: 'orders:read orders:write',
      });
      expect(created.status).toBe(303);
      const secretPath = created.headers.get('location')!;
      expect(secretPath).toMatch(new RegExp(`^/console/accounts/${accountId}/keys/key_\\w+/secret$`));
      const [flash] = setCookieHeaders(created, 'keymint_console_secret');
      expect(flash).toMatch(new RegExp(`Path=${secretPath.replace(/\//g, '\\/')}(;|$)`));
      expect(flash).toMatch(/; HttpOnly/);
      expect(flash).toMatch(/; SameSite=Strict/);

      const response = await root.request('GET', secretPath);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const html = await response.text();
      const secret = /id="application-secret">(sk_sbx_\w+)</.exec(html)?.[1];
      const applicationId = /id="application-id">(app_sbx_\w+)</.exec(html)?.[1];
      expect(secret).toBeDefined();
      expect(html).toContain('It will not be shown again');
      expect(html).toContain('data-copy-target="application-secret"');
      expect((await gateway.exchange('sandbox', applicationId!, secret!)).status).toBe(200);

      const again = await root.request('GET', secretPath);
      expect(again.status).toBe(410);
      expect(await again.text()).not.toContain(secret!);
    });

    it('shows validation errors on the page with the values kept (400), not JSON', async () => {
      await root.page(sandboxPath());
      const response = await root.post(`/console/accounts/${accountId}/keys`, {
        environment: 'sandbox',
        name: '  ',
        scopes: 'ok bad"scope',
        expiresAt: '2001-01-01T00:00',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain('Give the key a name.');
      expect(html).toContain('is not a valid scope');
      expect(html).toContain('value="ok bad&quot;scope"');

      const past = await root.post(`/console/accounts/${accountId}/keys`, {
        environment: 'sandbox',
        name: 'late',
        expiresAt: '2001-01-01T00:00',
      });
      expect(past.status).toBe(400);
      expect(await past.text()).toContain('Pick a time in the future.');
    });

    it('refuses a second key of the same name in an environment beside the name field (409), and allows it in the other', async () => {
      const fresh = (await gateway.createAccount('Names')).id;
      await root.page(`/console/accounts/${fresh}/sandbox`);
      expect((await root.post(`/console/accounts/${fresh}/keys`, { environment: 'sandbox', name: 'ci' })).status).toBe(303);
      const again = await root.post(`/console/accounts/${fresh}/keys`, { environment: 'sandbox', name: 'ci' });
      expect(again.status).toBe(409);
      const html = await again.text();
      expect(html).toMatch(/id="name"[^>]*autofocus[^>]*aria-describedby="name-error"/);
      expect(html).toMatch(/id="name-error">Another key in this environment has this name/);
      expect((await root.post(`/console/accounts/${fresh}/keys`, { environment: 'production', name: 'ci' })).status).toBe(303);
    });

    it('shows "n of 3 keys", hides the create form at the limit, and shows a late create as an error (409)', async () => {
      const fresh = (await gateway.createAccount('Limits')).id;
      const path = `/console/accounts/${fresh}/production`;
      expect(await root.page(path)).toContain('0 of 3 keys');
      await gateway.createKey(fresh, { environment: 'production' });
      await gateway.createKey(fresh, { environment: 'production' });
      const two = await root.page(path);
      expect(two).toContain('2 of 3 keys');
      expect(two).toContain('Create key');
      await gateway.createKey(fresh, { environment: 'production' });
      const full = await root.page(path);
      expect(full).toContain('3 of 3 keys');
      expect(full).not.toContain('Create key');
      expect(full).toContain('Delete a key to create another.');
      // The form as it was before the limit was reached, posted anyway.
      const late = await root.post(`/console/accounts/${fresh}/keys`, { environment: 'production', name: 'fourth' });
      expect(late.status).toBe(409);
      expect(await late.text()).toContain('already has 3 keys in production');
    });
  });

  describe('key page', () => {
    it('shows the limits and how the key authenticates, and the previous pair while an overlap lasts', async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'rolling' });
      const path = `/console/accounts/${accountId}/keys/${key.id}`;
      const plain = await root.page(path);
      expect(plain).toMatch(/<dd class="rate-limit">none<\/dd>/);
      expect(plain).toContain('application secret');
      expect(plain).not.toContain('Previous pair');

      // Written as the store keeps them (the admin API that sets them belongs to other work in progress).
      const until = Date.now() + 60 * 60 * 1000;
      const database = new Database(join(gateway.directory, 'keymint.db'));
      try {
        database
          .prepare(
            `UPDATE api_keys SET rate_limit = ?, quota = ?, require_dpop = 1, previous_application_id = ?, previous_secret_hash = ?,
             previous_secret_hint = ?, previous_expires_at = ?, previous_last_used_at = NULL WHERE id = ?`,
          )
          .run(JSON.stringify({ requests: 100, windowSeconds: 60 }), JSON.stringify({ requests: 5000, period: 'month' }), 'app_sbx_previousPairPreviousPair0', 'h'.repeat(64), 'Wxyz', until, key.id);
      } finally {
        database.close();
      }
      const rolled = await root.page(path);
      expect(rolled).toMatch(/<dd class="rate-limit">100 requests per 60 s<\/dd>/);
      expect(rolled).toMatch(/<dd class="quota">5000 requests per month<\/dd>/);
      expect(rolled).toContain('DPoP-bound tokens only');
      expect(rolled).toContain('Previous pair, still working');
      expect(rolled).toContain('app_sbx_previousPairPreviousPair0');
      expect(rolled).toContain('…Wxyz');
      expect(rolled).toMatch(/<dd class="previous-last-used">never used<\/dd>/);
      expect(rolled).toContain(`datetime="${new Date(until).toISOString()}"`);
    });

    it.skipIf(!redisUrl())('charts the usage the core reader counted, by hour and by day', async () => {
      const own = (await gateway.createAccount('Charted Co')).id;
      const key = await gateway.createKey(own, { environment: 'sandbox', name: 'charted' });
      const path = `/console/accounts/${own}/keys/${key.id}`;
      const before = await root.page(`${path}?usage=hour`);
      expect(before).toMatch(/Session tokens minted: <span class="usage-total">tokens 0<\/span>/);
      await gateway.mint('sandbox', key);
      await gateway.mint('sandbox', key);
      // Counted after the response: wait for both to land.
      let hours = '';
      for (let attempt = 0; attempt < 50; attempt++) {
        hours = await root.page(`${path}?usage=hour`);
        if (hours.includes('tokens 2<')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(hours).toMatch(/Session tokens minted: <span class="usage-total">tokens 2<\/span>/);
      expect(hours).toMatch(/<a href="[^"]*\?usage=hour#usage" aria-current="page">Last 24 hours/);
      expect(hours).not.toContain('Usage needs Redis');
      const days = await root.page(`${path}?usage=day`);
      expect(days).toMatch(/Session tokens minted: <span class="usage-total">tokens 2<\/span>/);
      expect(days).toMatch(/<a href="[^"]*\?usage=day#usage" aria-current="page">Last 30 days/);
    });

    it('regenerates with a chosen overlap (the old pair mints during it) and retires the previous pair (then it is refused)', async () => {
      const own = (await gateway.createAccount('Rolling Co')).id;
      const key = await gateway.createKey(own, { environment: 'sandbox', name: 'overlapped' });
      const path = `/console/accounts/${own}/keys/${key.id}`;
      const confirm = await root.page(`${path}/regenerate`);
      for (const seconds of ['0', '3600', '86400', '604800']) expect(confirm).toContain(`name="overlap" value="${seconds}"`);

      const regenerated = await root.post(`${path}/regenerate`, { overlap: '3600' });
      expect(regenerated.status).toBe(303);
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(200);
      const page = await root.page(path);
      expect(page).toContain('Previous pair, still working');
      expect(page).toContain(`action="${path}/retire-previous"`);

      const retired = await root.post(`${path}/retire-previous`);
      expect(retired.status).toBe(303);
      expect(retired.headers.get('location')).toBe(path);
      const refused = await gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
      expect(await root.page(path)).not.toContain('Previous pair, still working');
    });

    it('regenerates without an overlap by default: the old pair is refused at once', async () => {
      const own = (await gateway.createAccount('Abrupt Co')).id;
      const key = await gateway.createKey(own, { environment: 'sandbox', name: 'abrupt' });
      expect((await root.post(`/console/accounts/${own}/keys/${key.id}/regenerate`)).status).toBe(303);
      expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(401);
    });

    it('says usage needs Redis on a gateway without it, and still shows the key', async () => {
      const memory = await startGateway({ sessions: 'memory' });
      try {
        const account = (await memory.createAccount('No Redis')).id;
        const key = await memory.createKey(account, { environment: 'sandbox', name: 'unmetered' });
        await memory.mint('sandbox', key);
        const client = new ConsoleClient(memory);
        await client.signIn(memory.rootToken);
        const html = await client.page(`/console/accounts/${account}/keys/${key.id}?usage=day`);
        expect(html).toContain('Usage needs Redis');
        expect(html).toContain(key.applicationId);
        expect(html).not.toContain('class="usage-chart"');
      } finally {
        await memory.close();
      }
    });
  });

  describe('delete', () => {
    it('leaves minted sessions valid by default, and revokes them when the confirmation box is ticked', async () => {
      for (const [revokeSessions, liveAfter] of [[false, 200], [true, 401]] as const) {
        const name = `doomed-${revokeSessions}`;
        const key = await gateway.createKey(accountId, { environment: 'production', name });
        const token = await gateway.mint('production', key);
        const confirmPath = `/console/accounts/${accountId}/keys/${key.id}/delete`;
        expect(await root.page(confirmPath)).toContain('name="revokeSessions"');
        const response = await root.post(confirmPath, { confirmName: name, ...(revokeSessions && { revokeSessions: 'on' }) });
        expect(response.status).toBe(303);
        const listPath = `/console/accounts/${accountId}/production`;
        expect(response.headers.get('location')).toBe(listPath);
        expect(setCookieHeaders(response, 'keymint_console_notice')[0]).toMatch(
          `keymint_console_notice=${revokeSessions ? 'deleted-and-revoked' : 'deleted'};`,
        );
        expect(await root.page(listPath)).toContain(revokeSessions ? 'Key deleted and its live sessions revoked' : 'Key deleted:');
        // The notice was for that one page: a reload does not bring it back.
        expect(await root.page(listPath)).not.toContain('Key deleted');
        expect((await gateway.exchange('production', key.applicationId, key.applicationSecret)).status).toBe(401);
        expect((await tokenInfo(gateway, 'production', token)).status).toBe(liveAfter);
      }
    });

    it('deletes a production key only once its name is typed exactly; a sandbox key needs no name', async () => {
      const key = await gateway.createKey(accountId, { environment: 'production', name: 'payments-live' });
      const confirmPath = `/console/accounts/${accountId}/keys/${key.id}/delete`;
      const page = await root.page(confirmPath);
      expect(page).toContain('Type its name to confirm');
      for (const [typed, error] of [
        ['', 'Type the key’s name to delete it.'],
        ['payments-LIVE', 'That is not this key’s name.'],
      ] as const) {
        const refused = await root.post(confirmPath, { confirmName: typed });
        expect(refused.status).toBe(400);
        const html = await refused.text();
        expect(html).toContain(error);
        expect(html).toMatch(/id="confirmName"[^>]*aria-describedby="confirmName-error"/);
        expect((await gateway.exchange('production', key.applicationId, key.applicationSecret)).status).toBe(200);
      }
      expect((await root.post(confirmPath, { confirmName: 'payments-live' })).status).toBe(303);
      expect((await gateway.exchange('production', key.applicationId, key.applicationSecret)).status).toBe(401);

      const sandboxKey = await gateway.createKey(accountId, { environment: 'sandbox', name: 'scratch' });
      const sandboxConfirm = `/console/accounts/${accountId}/keys/${sandboxKey.id}/delete`;
      expect(await root.page(sandboxConfirm)).not.toContain('Type its name to confirm');
      expect((await root.post(sandboxConfirm)).status).toBe(303);
    });
  });

  describe('with KEYMINT_SCOPES', () => {
    it('offers the allowed scopes as checkboxes and shows a scope outside the list as a form error', async () => {
      const scoped = await startGateway({ env: { KEYMINT_SCOPES: 'orders:read orders:write' } });
      try {
        const fresh = (await scoped.createAccount('Scoped')).id;
        const client = new ConsoleClient(scoped);
        await client.signIn(scoped.rootToken);
        const html = await client.page(`/console/accounts/${fresh}/sandbox`);
        expect(html).toContain('<input type="checkbox" name="scopes" value="orders:read"');
        expect(html).toContain('<input type="checkbox" name="scopes" value="orders:write"');

        const refused = await client.post(`/console/accounts/${fresh}/keys`, {
          environment: 'sandbox',
          name: 'sneaky',
          scopes: 'admin:all',
        });
        expect(refused.status).toBe(400);
        expect(await refused.text()).toContain('scope &quot;admin:all&quot; is not one of KEYMINT_SCOPES');

        const body = new URLSearchParams([
          ['_csrf', client.csrf],
          ['environment', 'sandbox'],
          ['name', 'ticked'],
          ['scopes', 'orders:read'],
          ['scopes', 'orders:write'],
        ]);
        const created = await client.request('POST', `/console/accounts/${fresh}/keys`, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: body.toString(),
        });
        expect(created.status).toBe(303);
        const keys = await scoped.admin('GET', `/accounts/${fresh}/keys`);
        expect(((await keys.json()) as { items: { scopes: string[] }[] }).items[0]?.scopes).toEqual([
          'orders:read',
          'orders:write',
        ]);
      } finally {
        await scoped.close();
      }
    });
  });

  describe('admin tokens (root)', () => {
    it('creates a named token shown once, which signs in under its name; a manager may not create one', async () => {
      const page = `/console/accounts/${accountId}/admin-tokens`;
      expect(await root.page(page)).toContain('Create admin token');
      const invalid = await root.post(page, { name: ' ', role: 'manager' });
      expect(invalid.status).toBe(400);
      expect(await invalid.text()).toMatch(/aria-describedby="name-error"[\s\S]*id="name-error"[^>]*>Give the token a name/);

      const created = await root.post(page, { name: 'deploy bot', role: 'manager' });
      expect(created.status).toBe(303);
      const shownPath = created.headers.get('location')!;
      expect(shownPath).toMatch(new RegExp(`^${page}/adm_\\w+/token$`));
      const html = await root.page(shownPath);
      const token = /id="admin-token">(kmat_\w+)</.exec(html)?.[1];
      expect(token).toBeDefined();
      expect(html).toContain('It will not be shown again');
      const again = await root.request('GET', shownPath);
      expect(again.status).toBe(410);
      expect(await again.text()).not.toContain(token!);

      const bot = new ConsoleClient(gateway);
      await bot.signIn(token!);
      const landing = await bot.page(sandboxPath());
      expect(landing).toContain('deploy bot (manager)');
      expect(landing).not.toContain('/admin-tokens');
      await bot.page(page, 403);
      expect((await bot.post(page, { name: 'escalated', role: 'manager' })).status).toBe(403);
    });
  });

  describe('signing keys (root)', () => {
    const jwksKids = async (environment: 'sandbox' | 'production') =>
      ((await (await gateway.fetch(`/${environment}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

    it('lists each environment’s signing keys and rotates one: new tokens get the new kid, the old stays published', async () => {
      const [activeBefore] = await jwksKids('production');
      const html = await root.page('/console/signing-keys');
      expect(html).toContain(`data-kid="${activeBefore}"`);
      for (const kid of await jwksKids('sandbox')) expect(html).toContain(`data-kid="${kid}"`);

      const rotated = await root.post('/console/signing-keys/production/rotate');
      expect(rotated.status).toBe(303);
      expect(rotated.headers.get('location')).toBe('/console/signing-keys');
      const after = await root.page('/console/signing-keys');
      expect(after).toContain('Signing key rotated');
      const kids = await jwksKids('production');
      expect(kids).toContain(activeBefore);
      const fresh = kids.find((kid) => kid !== activeBefore)!;
      expect(after).toMatch(new RegExp(`data-kid="${fresh}"(?:(?!</tr>)[\\s\\S])*badge active`));
      expect(after).toMatch(new RegExp(`data-kid="${activeBefore}"(?:(?!</tr>)[\\s\\S])*badge retired`));

      const key = await gateway.createKey(accountId, { environment: 'production', name: 'after-rotation' });
      const token = await gateway.mint('production', key);
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(fresh);
    });

    it('is the operator’s alone: an account manager gets 403 pages and rotates nothing', async () => {
      const manager = new ConsoleClient(gateway);
      await manager.signIn(otherManagerToken);
      await manager.page(`/console/accounts/${otherAccountId}/sandbox`);
      expect(await manager.page(`/console/accounts/${otherAccountId}/sandbox`)).not.toContain('/console/signing-keys');
      await manager.page('/console/signing-keys', 403);
      const before = await jwksKids('sandbox');
      expect((await manager.post('/console/signing-keys/sandbox/rotate')).status).toBe(403);
      expect(await jwksKids('sandbox')).toEqual(before);
    });
  });

  describe('who may do what', () => {
    it('a viewer sees the keys but no write controls, and a viewer POST is refused with a 403 page', async () => {
      await gateway.createKey(accountId, { environment: 'sandbox', name: 'visible' });
      const viewer = new ConsoleClient(gateway);
      const landing = await viewer.signIn(viewerToken);
      expect(landing.headers.get('location')).toBe('/console');
      const home = await viewer.request('GET', '/console');
      expect(home.headers.get('location')).toBe(`/console/accounts/${accountId}`);

      const managed = await root.page(sandboxPath());
      expect(writeControls(managed).length).toBeGreaterThan(0);
      const html = await viewer.page(sandboxPath());
      expect(html).toContain('visible');
      expect(html).toContain('viewer token');
      expect(writeControls(html)).toEqual([]);

      await expectRefusedUnchanged(
        () => viewer.post(`/console/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'nope' }),
        'a viewer token may only read',
      );
    });

    it('an account admin token cannot open another account (403), and root-only pages refuse it', async () => {
      const neighbour = new ConsoleClient(gateway);
      await neighbour.signIn(otherManagerToken);
      await neighbour.page(sandboxPath(), 403);
      const accounts = await neighbour.request('GET', '/console/accounts');
      expect(accounts.headers.get('location')).toBe(`/console/accounts/${otherAccountId}`);
      await neighbour.page(`/console/accounts/${otherAccountId}/sandbox`);
      expect((await neighbour.post('/console/accounts', { name: 'Mine' })).status).toBe(403);
    });

    it('answers unknown accounts and keys with 404 pages', async () => {
      await root.page('/console/accounts/acct_0000000000000000000000/sandbox', 404);
      await root.page(`/console/accounts/${accountId}/keys/key_0000000000000000000000/regenerate`, 404);
      const missing = await root.page('/console/accounts?account=acct_nope', 404);
      expect(missing).toContain('There is no account');
    });
  });
});
