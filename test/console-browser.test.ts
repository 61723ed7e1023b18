// The web console in a real headless Chromium against a real gateway: sign in, create a key and copy its secret,
// exchange it, regenerate through the confirmation, disable/enable, revoke sessions, the limit, delete, the audit
// log, CSRF and CSP as the browser enforces them, and a viewer without write controls.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/http/console/security.js';
import { createAdminToken } from './support/admin-auth-suite.js';
import { browserAvailable, launchBrowser, screenshot } from './support/browser.js';
import { startGateway, type Gateway } from './support/gateway.js';
import { tokenInfo } from './support/oauth-calls.js';

interface ShownKey {
  keyId: string;
  applicationId: string;
  applicationSecret: string;
}

describe.skipIf(!browserAvailable())('web console in Chromium', { timeout: 60_000 }, () => {
  let gateway: Gateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let accountId: string;
  let billing: ShownKey;
  let reports: ShownKey;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    [gateway, browser] = await Promise.all([startGateway(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gateway.url });
    page = await openPage(context);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  async function openPage(owner: BrowserContext): Promise<Page> {
    const opened = await owner.newPage();
    opened.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return opened;
  }

  const url = (path: string) => `${gateway.url}${path}`;
  const sandboxPath = () => `/console/accounts/${accountId}/sandbox`;
  const row = (keyId: string) => page.locator(`tr[data-key-id="${keyId}"]`);

  async function signIn(target: Page, token: string): Promise<void> {
    await target.goto(url('/console/sign-in'));
    await target.fill('#token', token);
    await Promise.all([target.waitForURL((next) => !next.pathname.endsWith('/sign-in')), target.click('button:has-text("Sign in")')]);
  }

  /** Fills and submits the create form of the page it is on; returns what the secret page shows. */
  async function createKey(name: string, scopes = ''): Promise<ShownKey> {
    await page.fill('#name', name);
    await page.fill('#scopes', scopes);
    await Promise.all([page.waitForURL(/\/secret$/), page.click('button:has-text("Create key")')]);
    return readShownKey();
  }

  async function readShownKey(): Promise<ShownKey> {
    const keyId = /\/keys\/(key_\w+)\/secret$/.exec(page.url())?.[1];
    const applicationId = (await page.textContent('#application-id'))?.trim();
    const applicationSecret = (await page.textContent('#application-secret'))?.trim();
    expect(keyId).toBeDefined();
    expect(applicationId).toMatch(/^app_sbx_/);
    expect(applicationSecret).toMatch(/^sk_sbx_/);
    return { keyId: keyId!, applicationId: applicationId!, applicationSecret: applicationSecret! };
  }

  async function exchange(key: ShownKey): Promise<Response> {
    return gateway.exchange('sandbox', key.applicationId, key.applicationSecret);
  }

  async function mint(key: ShownKey): Promise<string> {
    const response = await exchange(key);
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function submit(locator: ReturnType<Page['locator']>): Promise<void> {
    await Promise.all([page.waitForEvent('load'), locator.click()]);
  }

  it('sends a visitor to sign in, refuses a wrong token, and lets root create an account', async () => {
    const response = await page.goto(url('/console'));
    expect(page.url()).toBe(url('/console/sign-in'));
    expect(response?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    await screenshot(page, 'console-sign-in');

    await page.fill('#token', 'kmat_NotARealTokenNotARealTokenNotARealToken123');
    await submit(page.locator('button:has-text("Sign in")'));
    expect(await page.textContent('.error')).toContain('That admin token is not valid.');

    await page.fill('#token', gateway.rootToken);
    await submit(page.locator('button:has-text("Sign in")'));
    expect(page.url()).toBe(url('/console/accounts'));
    await page.fill('#name', 'Acme Payments');
    await Promise.all([page.waitForURL(/\/sandbox$/), page.click('button:has-text("Create account")')]);
    accountId = /\/accounts\/(acct_\w+)\/sandbox$/.exec(page.url())![1]!;
    expect(await page.textContent('.key-count')).toContain('0 of 3 keys');
  });

  it('creates a key, shows its secret once with a working copy button, and the pair exchanges for a token', async () => {
    billing = await createKey('billing-service', 'orders:read orders:write');
    expect(await page.textContent('.warning')).toContain('It will not be shown again');
    const copy = page.locator('button[data-copy-target="application-secret"]');
    await copy.click();
    await page.waitForSelector('button[data-copy-target="application-secret"]:has-text("Copied")');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(billing.applicationSecret);
    await screenshot(page, 'console-secret-shown-once');

    expect((await exchange(billing)).status).toBe(200);

    const again = await page.reload();
    expect(again?.status()).toBe(410);
    expect(await page.textContent('h1')).toBe('The secret is no longer shown');
    expect(await page.content()).not.toContain(billing.applicationSecret);
  });

  it('lists the keys with application ID, secret hint, scopes, status and dates, counted against the limit', async () => {
    await page.goto(url(sandboxPath()));
    reports = await createKey('reports-export', 'reports:read');
    await Promise.all([page.waitForURL(/\/sandbox$/), page.click('a:has-text("Done")')]);
    const text = await row(billing.keyId).innerText();
    expect(text).toContain('billing-service');
    expect(text).toContain(billing.applicationId);
    expect(text).toContain(`…${billing.applicationSecret.slice(-4)}`);
    expect(text).toContain('orders:read');
    expect(text).toContain('orders:write');
    expect(text).toContain('active');
    expect(text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(await page.content()).not.toContain(billing.applicationSecret);
    expect(await page.textContent('.key-count')).toContain('2 of 3 keys');
    await screenshot(page, 'console-keys');
  });

  it('regenerates through a confirmation: the old pair is refused, the new one works, old sessions stay valid', async () => {
    const oldSession = await mint(billing);
    await submit(row(billing.keyId).locator('a:has-text("Regenerate")'));
    const confirmation = await page.textContent('.confirm');
    expect(confirmation).toContain('Old sessions stay valid until they expire');
    expect(confirmation).toContain('1 hour');
    await screenshot(page, 'console-regenerate-confirm');

    await Promise.all([page.waitForURL(/\/secret$/), page.click('button:has-text("Regenerate key")')]);
    expect(await page.textContent('h1')).toBe('Key regenerated');
    const renewed = await readShownKey();
    expect(renewed.keyId).toBe(billing.keyId);
    expect(renewed.applicationId).not.toBe(billing.applicationId);
    expect(renewed.applicationSecret).not.toBe(billing.applicationSecret);

    expect((await exchange(billing)).status).toBe(401);
    expect((await exchange(renewed)).status).toBe(200);
    expect((await tokenInfo(gateway, 'sandbox', oldSession)).status).toBe(200);
    billing = renewed;
  });

  it('disables and enables a key', async () => {
    await page.goto(url(sandboxPath()));
    await submit(row(billing.keyId).locator('button:has-text("Disable")'));
    expect(await page.textContent('.notice')).toContain('Key disabled');
    expect(await row(billing.keyId).locator('.badge').textContent()).toBe('disabled');
    expect((await exchange(billing)).status).toBe(401);

    await submit(row(billing.keyId).locator('button:has-text("Enable")'));
    expect(await page.textContent('.notice')).toContain('Key enabled');
    expect(await row(billing.keyId).locator('.badge').textContent()).toBe('active');
    expect((await exchange(billing)).status).toBe(200);
  });

  it("revokes the key's sessions through a confirmation", async () => {
    const session = await mint(billing);
    expect((await tokenInfo(gateway, 'sandbox', session)).status).toBe(200);
    await submit(row(billing.keyId).locator('a:has-text("Revoke sessions")'));
    expect(await page.textContent('.confirm')).toContain('Every live session token minted with this key is revoked');
    await submit(page.locator('button:has-text("Revoke sessions")'));
    expect(await page.textContent('.notice')).toMatch(/Sessions revoked: \d+ live sessions? of the key/);
    expect((await tokenInfo(gateway, 'sandbox', session)).status).toBe(401);
  });

  it('at 3 of 3 keys the create form gives way to a note', async () => {
    await createKey('third');
    await page.goto(url(sandboxPath()));
    expect(await page.textContent('.key-count')).toContain('3 of 3 keys');
    expect(await page.locator('form.create-key').count()).toBe(0);
    expect(await page.textContent('.limit-note')).toContain('Delete a key to create another.');
    await screenshot(page, 'console-keys-at-limit');
  });

  it('deletes a key through a confirmation, which frees a place', async () => {
    await submit(row(reports.keyId).locator('a:has-text("Delete")'));
    expect(await page.textContent('.confirm')).toContain('cannot be undone');
    await submit(page.locator('button:has-text("Delete key")'));
    expect(await page.textContent('.notice')).toContain('Key deleted');
    expect(await row(reports.keyId).count()).toBe(0);
    expect(await page.textContent('.key-count')).toContain('2 of 3 keys');
    expect(await page.locator('form.create-key').count()).toBe(1);
    expect((await exchange(reports)).status).toBe(401);
  });

  it('lists every change in the audit log', async () => {
    await submit(page.locator('nav.tabs a:has-text("Audit log")'));
    const actions = await page.locator('tr[data-action]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action')));
    expect(actions.toReversed()).toEqual([
      'account.created',
      'key.created',
      'key.created',
      'key.regenerated',
      'key.disabled',
      'key.enabled',
      'key.sessions_revoked',
      'key.created',
      'key.deleted',
    ]);
    expect(await page.locator('tr[data-action="key.deleted"]').innerText()).toContain('(deleted)');
    await screenshot(page, 'console-audit-log');
  });

  it('refuses a form whose CSRF token was taken out (403), and creates nothing', async () => {
    await page.goto(url(sandboxPath()));
    await page.evaluate(() => document.querySelector('form.create-key input[name="_csrf"]')?.remove());
    await page.fill('#name', 'forged');
    const [response] = await Promise.all([
      page.waitForResponse((answer) => answer.request().method() === 'POST'),
      page.click('button:has-text("Create key")'),
    ]);
    expect(response.status()).toBe(403);
    await page.waitForLoadState('load');
    expect(await page.textContent('h1')).toBe('Request refused');
    const keys = await gateway.admin('GET', `/accounts/${accountId}/keys`);
    expect(((await keys.json()) as { items: { name: string }[] }).items.map((key) => key.name)).not.toContain('forged');
  });

  it('a viewer sees the keys and the audit log but no write controls', async () => {
    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const viewer = await openPage(viewerContext);
      await signIn(viewer, await createAdminToken(gateway, accountId, 'viewer'));
      expect(viewer.url()).toBe(url(sandboxPath()));
      expect(await viewer.locator(`tr[data-key-id="${billing.keyId}"]`).innerText()).toContain('billing-service');
      expect(await viewer.textContent('.readonly')).toContain('viewer token');
      for (const control of ['Create key', 'Disable', 'Enable', 'Regenerate', 'Revoke sessions', 'Delete']) {
        expect(await viewer.getByText(control, { exact: true }).count(), control).toBe(0);
      }
      expect(await viewer.locator('form[method="post"]').count()).toBe(1); // sign-out
      await screenshot(viewer, 'console-viewer');

      const confirm = await viewer.goto(url(`/console/accounts/${accountId}/keys/${billing.keyId}/regenerate`));
      expect(confirm?.status()).toBe(403);
      await viewer.goto(url(`/console/accounts/${accountId}/operations`));
      expect(await viewer.locator('tr[data-action]').count()).toBeGreaterThan(0);
    } finally {
      await viewerContext.close();
    }
  });

  it('signs out, after which the console asks to sign in again', async () => {
    await submit(page.locator('button:has-text("Sign out")'));
    expect(page.url()).toBe(url('/console/sign-in?notice=signed-out'));
    expect(await page.textContent('.notice')).toContain('You are signed out.');
    await page.goto(url(sandboxPath()));
    expect(page.url()).toBe(url('/console/sign-in'));
  });

  it('no page broke the Content-Security-Policy', () => {
    expect(cspViolations).toEqual([]);
  });
});
