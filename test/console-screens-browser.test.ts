// The console's screens in a real headless Chromium (issue 17): editing a key (its effect checked at the token
// endpoint), expiry presets in the viewer's time zone, the key page, production's look and typed-name delete, copy
// buttons announced, search and filters, the empty state, the header's token name, notices shown once, error pages
// with the header, a private_key_jwt key made from a pasted JWK with limits (its assertion mints), webhooks (added,
// secret shown once, delivery log, deleted) and admin tokens revoked, no horizontal overflow at 1280 and 390 px with
// 100-character names, and an axe scan of each page (the key forms with errors included).
import AxeBuilder from '@axe-core/playwright';
import { calculateJwkThumbprint } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken, createAdminTokenWithId } from './support/admin-auth-suite.js';
import { browserAvailable, launchBrowser, screenshot } from './support/browser.js';
import { createAssertionSigner, requestWithAssertion } from './support/client-assertion.js';
import { startGateway, type Gateway } from './support/gateway.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A zone without daylight saving, so its offset (UTC+9) is the same on every date a test picks. */
const VIEWER_ZONE = 'Asia/Tokyo';
const WIDTHS = [1280, 390] as const;
const LONG_NAME = `${'integration-with-the-northern-warehouse-'.repeat(2)}billing-export-v2`.padEnd(100, 'x');
/** A webhook URL on a public address (no DNS, and no delivery: this gateway runs no delivery worker) with a long path. */
const LONG_URL = `https://93.184.215.14/hooks/${LONG_NAME}`;

interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  status: string;
}

describe.skipIf(!browserAvailable())('console screens in Chromium', { timeout: 120_000 }, () => {
  let gateway: Gateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let accountId: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    [gateway, browser] = await Promise.all([
      startGateway({ env: { KEYMINT_KEYS_PER_ENVIRONMENT: '6', KEYMINT_SCOPES: 'orders:read orders:write reports:read' } }),
      launchBrowser(),
    ]);
    accountId = (await gateway.createAccount('Northwind Trading')).id;
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: VIEWER_ZONE });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gateway.url });
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(url('/console/sign-in'));
    await page.fill('#token', await createAdminToken(gateway, accountId, 'manager'));
    await Promise.all([page.waitForURL(/\/sandbox$/), page.click('button:has-text("Sign in")')]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  const url = (path: string) => `${gateway.url}${path}`;
  const environmentPath = (environment: 'sandbox' | 'production') => `/console/accounts/${accountId}/${environment}`;
  const keyPath = (keyId: string) => `/console/accounts/${accountId}/keys/${keyId}`;

  async function submit(click: Promise<void>): Promise<void> {
    await Promise.all([page.waitForEvent('load'), click]);
  }

  /**
   * The id of the element the page put the focus on. Chromium applies `autofocus` at a rendering opportunity, which on
   * a loaded machine may come after the `load` event: wait up to 5 s for the focus to leave the body, then read it.
   */
  async function focusedId(): Promise<string | undefined> {
    await page.waitForFunction(() => document.activeElement !== null && document.activeElement !== document.body, undefined, { timeout: 5000 }).catch(() => {});
    return page.evaluate(() => document.activeElement?.id);
  }

  async function apiKey(keyId: string): Promise<ApiKey> {
    const response = await gateway.admin('GET', `/accounts/${accountId}/keys/${keyId}`);
    expect(response.status).toBe(200);
    return (await response.json()) as ApiKey;
  }

  /** Creates a key through the page's create form; returns its id and the secret the next page shows. */
  async function createKey(options: { name: string; scopes: string[]; expiry?: string }) {
    await page.fill('#name', options.name);
    for (const scope of options.scopes) await page.check(`input[name="scopes"][value="${scope}"]`);
    if (options.expiry) await page.check(`#expiry-${options.expiry}`);
    await Promise.all([page.waitForURL(/\/secret$/), page.click('button:has-text("Create key")')]);
    const keyId = /\/keys\/(key_\w+)\/secret$/.exec(page.url())![1]!;
    const applicationId = (await page.textContent('#application-id'))!.trim();
    const applicationSecret = (await page.textContent('#application-secret'))!.trim();
    return { keyId, applicationId, applicationSecret };
  }

  async function tokenRequest(environment: 'sandbox' | 'production', key: { applicationId: string; applicationSecret: string }, scope?: string) {
    const response = await gateway.exchange(environment, key.applicationId, key.applicationSecret, scope ? { scope } : {});
    return { status: response.status, body: (await response.json()) as { error?: string; scope?: string } };
  }

  /** What the live region says after a copy button is pressed (the script fills it a moment later). */
  async function announced(): Promise<string> {
    await page.waitForFunction(() => (document.getElementById('announcer')?.textContent ?? '') !== '');
    return (await page.textContent('#announcer'))!;
  }

  it('greets an empty environment with what to do first and a curl command that copies, announced', async () => {
    expect(await page.textContent('.empty-state h2')).toBe('No sandbox keys yet');
    const curl = (await page.textContent('#first-curl'))!;
    expect(curl).toContain(`${gateway.config.publicUrl}/sandbox/oauth/token`);
    expect(curl).toContain('grant_type=client_credentials');
    expect(await page.getAttribute('#announcer', 'aria-live')).toBe('polite');
    await page.click('button[data-copy-target="first-curl"]');
    expect(await announced()).toBe('Curl command copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(curl.trim());
  });

  it("shows the admin token's name in the header, never its id", async () => {
    const header = (await page.textContent('header.top'))!;
    expect(await page.textContent('.actor-name')).toBe('manager token (manager)');
    expect(header).not.toMatch(/adm_\w{22}/);
  });

  it('creates a key with a 7-day preset, shown in the viewer’s time zone with UTC beside it', async () => {
    const before = Date.now();
    const key = await createKey({ name: 'orders-sync', scopes: ['orders:read', 'orders:write'], expiry: '7' });
    const stored = await apiKey(key.keyId);
    const expiresAt = Date.parse(stored.expiresAt!);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS);

    await page.goto(url(keyPath(key.keyId)));
    const expiry = page.locator('.expiry-text');
    const utc = new Date(expiresAt).toISOString().replace(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}).*$/, '$1 $2 UTC');
    const local = new Date(expiresAt + 9 * 60 * 60 * 1000).toISOString().replace(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}).*$/, '$1 $2');
    expect(await expiry.locator('time').textContent()).toBe(utc);
    expect(await expiry.locator('.local-time').textContent()).toBe(`${local} GMT+9`);
    expect(await expiry.locator('.local-time').getAttribute('title')).toContain(VIEWER_ZONE);
  });

  it('edits name, scopes and expiry: the removed scope is refused at the token endpoint at once', async () => {
    await page.goto(url(environmentPath('sandbox')));
    const key = await createKey({ name: 'reports-feed', scopes: ['orders:read', 'reports:read'] });
    expect((await tokenRequest('sandbox', key, 'reports:read')).status).toBe(200);

    await page.goto(url(keyPath(key.keyId)));
    await submit(page.click('a:has-text("Edit")'));
    expect(await page.isChecked('#expiry-keep')).toBe(true);
    await page.fill('#name', 'reports-feed-v2');
    await page.uncheck('input[name="scopes"][value="reports:read"]');
    // A date typed in the viewer's zone (Tokyo, UTC+9) means that wall-clock time there.
    await page.check('#expiry-custom');
    await page.fill('#expiresAt', '2031-01-15T09:00');
    expect(await page.textContent('#time-zone-note')).toContain(VIEWER_ZONE);
    await submit(page.click('button:has-text("Save changes")'));

    expect(page.url()).toBe(url(keyPath(key.keyId)));
    expect(await page.textContent('.notice')).toContain('Key saved');
    expect(await page.textContent('h1')).toBe('reports-feed-v2');
    const stored = await apiKey(key.keyId);
    expect(stored.name).toBe('reports-feed-v2');
    expect(stored.scopes).toEqual(['orders:read']);
    expect(stored.expiresAt).toBe('2031-01-15T00:00:00.000Z');

    const refused = await tokenRequest('sandbox', key, 'reports:read');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_scope');
    expect((await tokenRequest('sandbox', key, 'orders:read')).status).toBe(200);

    // The notice was for that one page.
    await page.reload();
    expect(await page.locator('.notice').count()).toBe(0);
  });

  it('edits to "never" with a warning, and shows an edit error beside its field with focus there', async () => {
    await page.goto(url(environmentPath('sandbox')));
    const keyId = (await page.locator('tr[data-key-id]').first().getAttribute('data-key-id'))!;
    await page.goto(url(`${keyPath(keyId)}/edit`));
    expect(await page.textContent('#never-warning')).toContain('Not recommended');
    await page.fill('#name', '   ');
    await page.check('#expiry-never');
    await submit(page.click('button:has-text("Save changes")'));
    expect(await focusedId()).toBe('name');
    expect(await page.getAttribute('#name', 'aria-describedby')).toBe('name-error');
    expect(await page.textContent('#name-error')).toBe('Give the key a name.');
    expect(await page.isChecked('#expiry-never')).toBe(true);

    await page.fill('#name', 'orders-sync');
    await submit(page.click('button:has-text("Save changes")'));
    expect((await apiKey(keyId)).expiresAt).toBeNull();
    expect(await page.textContent('.expiry-text')).toContain('never expires');
  });

  it('extends an expiry by a preset from the key page', async () => {
    await page.goto(url(environmentPath('sandbox')));
    const keyId = (await page.locator('tr[data-key-id]').nth(1).getAttribute('data-key-id'))!;
    const before = Date.parse((await apiKey(keyId)).expiresAt!);
    await page.goto(url(keyPath(keyId)));
    await submit(page.click('button:has-text("Extend by 30 days")'));
    expect(await page.textContent('.notice')).toContain('Expiry extended');
    expect(Date.parse((await apiKey(keyId)).expiresAt!)).toBe(before + 30 * DAY_MS);
  });

  it('copies the application ID and the token endpoint URL from the key page, and says so', async () => {
    await page.goto(url(environmentPath('sandbox')));
    const keyId = (await page.locator('tr[data-key-id]').first().getAttribute('data-key-id'))!;
    await page.goto(url(keyPath(keyId)));
    const applicationId = (await page.textContent('#application-id'))!.trim();
    await page.click('button[data-copy-target="application-id"]');
    expect(await announced()).toBe('Application ID copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(applicationId);
    expect(await page.locator('button[data-copy-target="application-id"]').innerText()).toContain('Copied');

    await page.evaluate(() => (document.getElementById('announcer')!.textContent = ''));
    await page.click('button[data-copy-target="token-endpoint"]');
    expect(await announced()).toBe('Token endpoint URL copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${gateway.config.publicUrl}/sandbox/oauth/token`);
  });

  it('searches and filters the keys', async () => {
    await page.goto(url(environmentPath('sandbox')));
    await createKey({ name: LONG_NAME, scopes: ['orders:read'] });
    await page.goto(url(environmentPath('sandbox')));
    const names = () => page.locator('tr[data-key-id] .key-name').allTextContents();
    expect(await names()).toHaveLength(3);

    await page.fill('#key-search', 'REPORTS');
    await submit(page.click('button:has-text("Search")'));
    expect(await names()).toEqual(['reports-feed-v2']);
    expect(await page.textContent('.filter-result')).toContain('1 of 3 keys match');

    const reports = (await page.locator('tr[data-key-id]').first().getAttribute('data-key-id'))!;
    await submit(page.click(`tr[data-key-id="${reports}"] button:has-text("Disable")`));
    await page.goto(url(`${environmentPath('sandbox')}?status=disabled`));
    expect(await names()).toEqual(['reports-feed-v2']);
    await page.goto(url(`${environmentPath('sandbox')}?q=no-such-key`));
    expect(await page.textContent('.empty')).toContain('No key matches');
    await submit(page.click('a:has-text("Clear")'));
    expect(await names()).toHaveLength(3);
  });

  it('filters the audit log by environment, key, action and actor', async () => {
    await page.goto(url(`/console/accounts/${accountId}/operations`));
    const actions = () => page.locator('tr[data-action]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action')));
    expect((await actions()).length).toBeGreaterThan(4);

    await page.selectOption('#filter-action', 'key.updated');
    await submit(page.click('button:has-text("Filter")'));
    const updated = await actions();
    expect(updated.length).toBeGreaterThanOrEqual(3);
    expect(new Set(updated)).toEqual(new Set(['key.updated']));

    await page.selectOption('#filter-action', '');
    await page.selectOption('#filter-key', { label: 'reports-feed-v2 (sandbox)' });
    await submit(page.click('button:has-text("Filter")'));
    // Created, edited, its expiry extended, disabled.
    expect((await actions()).toReversed()).toEqual(['key.created', 'key.updated', 'key.updated', 'key.disabled']);

    await page.goto(url(`/console/accounts/${accountId}/operations?environment=production`));
    expect(await page.textContent('.empty')).toContain('No entry matches');
    await page.goto(url(`/console/accounts/${accountId}/operations?actor=root`));
    expect(await actions()).toEqual(['admin_token.created', 'account.created']);
  });

  it('marks production as live, and deletes a production key only once its name is typed', async () => {
    await page.goto(url(environmentPath('sandbox')));
    expect(await page.locator('.live-banner').count()).toBe(0);
    await page.goto(url(environmentPath('production')));
    expect(await page.getAttribute('body', 'class')).toBe('env-production');
    expect(await page.textContent('.live-banner')).toContain('live keys');
    expect(await page.title()).toMatch(/^Production · /);

    const key = await createKey({ name: 'payments-live', scopes: ['orders:write'] });
    expect(await page.locator('.live-banner').count()).toBe(1);
    await page.goto(url(keyPath(key.keyId)));
    await submit(page.click('a:has-text("Delete")'));
    await page.fill('#confirmName', 'payments');
    await submit(page.click('button:has-text("Delete key")'));
    expect(await focusedId()).toBe('confirmName');
    expect(await page.getAttribute('#confirmName', 'aria-describedby')).toBe('confirmName-error');
    expect(await page.textContent('#confirmName-error')).toContain('not this key’s name');
    expect((await tokenRequest('production', key)).status).toBe(200);

    await page.fill('#confirmName', 'payments-live');
    await submit(page.click('button:has-text("Delete key")'));
    expect(page.url()).toBe(url(environmentPath('production')));
    expect(await page.textContent('.notice')).toContain('Key deleted');
    expect((await tokenRequest('production', key)).status).toBe(401);
  });

  it('keeps the header and tabs on 403 and 404 pages', async () => {
    const missing = await page.goto(url(keyPath('key_0000000000000000000000')));
    expect(missing?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('No such key');
    expect(await page.locator('nav.tabs a').count()).toBe(4);
    expect(await page.textContent('.actor-name')).toBe('manager token (manager)');

    const other = (await gateway.createAccount('Elsewhere')).id;
    const refused = await page.goto(url(`/console/accounts/${other}/sandbox`));
    expect(refused?.status()).toBe(403);
    expect(await page.textContent('.actor-name')).toBe('manager token (manager)');
  });

  let jwtKeyId = '';

  it('creates a private_key_jwt key from a pasted JWK with a rate limit: a bad limit comes back focused, its private key mints', async () => {
    await page.goto(url(environmentPath('production')));
    // The paste belongs to the private key JWT choice: hidden until it is made.
    expect(await page.isVisible('#jwks')).toBe(false);
    await page.check('#auth-private_key_jwt');
    expect(await page.isVisible('#jwks')).toBe(true);

    const by = await createAssertionSigner('ES256', 'billing-2026');
    const publicJwk = by.publicJwk;
    await page.fill('#name', 'signed-billing');
    await page.fill('#jwks', JSON.stringify(publicJwk, null, 2));
    await page.fill('#rateLimitRequests', '0');
    await page.fill('#rateLimitWindow', '60');
    await page.fill('#quotaRequests', '1000');
    await page.selectOption('#quotaPeriod', 'month');
    await submit(page.click('button:has-text("Create key")'));
    expect(await focusedId()).toBe('rateLimitRequests');
    expect(await page.getAttribute('#rateLimitRequests', 'aria-describedby')).toBe('rateLimitRequests-error');
    expect(await page.textContent('#rateLimitRequests-error')).toBe('Enter a whole number from 1 to 1,000,000.');
    // What was typed stays, the choice included (so the paste is still on screen).
    expect(await page.isChecked('#auth-private_key_jwt')).toBe(true);
    expect(await page.isVisible('#jwks')).toBe(true);
    expect(await page.inputValue('#quotaRequests')).toBe('1000');

    await page.fill('#rateLimitRequests', '2');
    await Promise.all([page.waitForURL(/\/keys\/key_\w+$/), page.click('button:has-text("Create key")')]);
    jwtKeyId = /\/keys\/(key_\w+)$/.exec(page.url())![1]!;
    expect(await page.textContent('.notice')).toContain('It has no secret');
    expect(await page.textContent('.thumbprint')).toBe(await calculateJwkThumbprint(publicJwk));
    expect(await page.textContent('.rate-limit')).toBe('2 requests per 60 s');
    expect(await page.textContent('.quota')).toBe('1000 requests per month');

    const applicationId = (await page.textContent('#application-id'))!.trim();
    const minted = await requestWithAssertion(gateway, 'production', applicationId, by);
    expect(minted.status).toBe(200);
  });

  const webhooksPath = () => `/console/accounts/${accountId}/webhooks`;
  let webhookId = '';

  it('adds a webhook: a loopback URL refused beside the field with focus there, then its secret shown once and copied', async () => {
    await page.goto(url(webhooksPath()));
    expect(await page.textContent('.empty')).toContain('No webhooks yet');
    await page.fill('#url', 'http://127.0.0.1:9/hook');
    await page.check('input[name="events"][value="key.created"]');
    await submit(page.click('button:has-text("Add webhook")'));
    expect(await focusedId()).toBe('url');
    expect(await page.getAttribute('#url', 'aria-describedby')).toBe('url-error');
    expect(await page.textContent('#url-error')).toContain('loopback');
    expect(await page.isChecked('input[name="events"][value="key.created"]')).toBe(true);

    await page.fill('#url', LONG_URL);
    await page.check('input[name="events"][value="key.deleted"]');
    await Promise.all([page.waitForURL(/\/secret$/), page.click('button:has-text("Add webhook")')]);
    webhookId = /\/webhooks\/(wh_\w+)\/secret$/.exec(page.url())![1]!;
    const secret = (await page.textContent('#webhook-secret'))!.trim();
    expect(secret).toMatch(/^whsec_/);
    await page.click('button[data-copy-target="webhook-secret"]');
    expect(await announced()).toBe('Signing secret copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const listed = (await (await gateway.admin('GET', `/accounts/${accountId}/webhooks/${webhookId}`)).json()) as { url: string; events: string[] };
    expect(listed).toMatchObject({ url: LONG_URL, events: ['key.created', 'key.deleted'] });
    await page.reload();
    expect(await page.textContent('h1')).toBe('Secret no longer shown');
  });

  it('logs the deliveries a change queues, and deletes a webhook after a confirmation', async () => {
    // Made and deleted again, so the key lists stay as the other tests expect them.
    const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'queued-for-webhook' });
    expect((await gateway.admin('DELETE', `/accounts/${accountId}/keys/${key.id}`)).status).toBe(204);
    await page.goto(url(webhooksPath()));
    await submit(page.click(`tr[data-webhook-id="${webhookId}"] a:has-text("Deliveries")`));
    const pending = page.locator('tr[data-status="pending"]');
    expect(await pending.locator('td:first-child code').allTextContents()).toEqual(['key.deleted', 'key.created']);
    expect(await pending.first().textContent()).toContain('not tried yet');

    const spare = (await (await gateway.admin('POST', `/accounts/${accountId}/webhooks`, { url: 'https://93.184.215.14/spare' })).json()) as { id: string };
    await page.goto(url(webhooksPath()));
    await submit(page.click(`tr[data-webhook-id="${spare.id}"] a:has-text("Delete")`));
    expect(await page.textContent('h1')).toBe('Delete this webhook?');
    await submit(page.click('button:has-text("Delete webhook")'));
    expect(await page.textContent('.notice')).toContain('Webhook deleted');
    expect(await page.locator(`tr[data-webhook-id="${spare.id}"]`).count()).toBe(0);
    expect((await gateway.admin('GET', `/accounts/${accountId}/webhooks/${spare.id}`)).status).toBe(404);
  });

  it('lets root revoke an admin token after a confirmation: the admin API refuses it at once', async () => {
    const doomed = await createAdminTokenWithId(gateway, accountId, 'viewer', 'leaked laptop');
    const operator = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const rootPage = await operator.newPage();
      await rootPage.goto(url('/console/sign-in'));
      await rootPage.fill('#token', gateway.rootToken);
      await Promise.all([rootPage.waitForURL(/\/accounts$/), rootPage.click('button:has-text("Sign in")')]);
      await rootPage.goto(url(`/console/accounts/${accountId}/admin-tokens`));
      expect(await rootPage.textContent(`tr[data-token-id="${doomed.id}"]`)).toContain('never used');
      await Promise.all([rootPage.waitForEvent('load'), rootPage.click(`tr[data-token-id="${doomed.id}"] a:has-text("Revoke")`)]);
      expect(await rootPage.textContent('h1')).toBe('Revoke the admin token “leaked laptop”?');
      await Promise.all([rootPage.waitForEvent('load'), rootPage.click('button:has-text("Revoke admin token")')]);
      expect(await rootPage.textContent('.notice')).toContain('Admin token revoked');
      expect(await rootPage.locator(`tr[data-token-id="${doomed.id}"]`).count()).toBe(0);
    } finally {
      await operator.close();
    }
    expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, doomed.token)).status).toBe(401);
  });

  /**
   * Elements that stick out of the viewport on either side: none may, at any width. What is clipped away to nothing
   * (text for screen readers only, a stacked table's header row) is not on screen, so it is not measured.
   */
  function overflowing(target: Page) {
    return target.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide: string[] = [];
      const clippedAway = (element: Element | null): boolean => {
        for (let at = element; at; at = at.parentElement) if (getComputedStyle(at).clip !== 'auto') return true;
        return false;
      };
      for (const element of document.body.querySelectorAll('*')) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0 || box.bottom < 0 || clippedAway(element)) continue;
        if (box.right > width + 0.5 || box.left < -0.5) {
          wide.push(`${element.tagName.toLowerCase()}.${element.className} ${Math.round(box.left)}..${Math.round(box.right)} > ${width}`);
        }
      }
      return { scrollWidth: document.documentElement.scrollWidth, width, wide };
    });
  }

  const screens: [string, string][] = [];
  /** The screens that show the key with the 100-character name. */
  const showingTheLongName = new Set([
    'keys',
    'production-keys',
    'key',
    'key-edit',
    'delete-production',
    'regenerate',
    'webhooks',
    'webhook-deliveries',
    'webhook-delete',
    'accounts',
    'admin-tokens',
    'admin-token-revoke',
  ]);
  /** The operator's pages (signed in with the root token). */
  const rootScreens: [string, string][] = [];

  it('has a production key with a 100-character name and every scope, to lay out', async () => {
    await page.goto(url(environmentPath('production')));
    expect(jwtKeyId).not.toBe('');
    const wide = await createKey({ name: LONG_NAME, scopes: ['orders:read', 'orders:write', 'reports:read'] });
    await page.goto(url(environmentPath('sandbox')));
    const sandboxKeyId = (await page.locator('tr[data-key-id]').last().getAttribute('data-key-id'))!;
    expect(await page.locator(`tr[data-key-id="${sandboxKeyId}"] .key-name`).textContent()).toBe(LONG_NAME);
    screens.push(
      ['keys', environmentPath('sandbox')],
      ['production-keys', environmentPath('production')],
      ['key', keyPath(wide.keyId)],
      ['key-edit', `${keyPath(wide.keyId)}/edit`],
      ['delete-production', `${keyPath(wide.keyId)}/delete`],
      ['regenerate', `${keyPath(sandboxKeyId)}/regenerate`],
      ['key-jwt', keyPath(jwtKeyId)],
      ['key-jwt-edit', `${keyPath(jwtKeyId)}/edit`],
      ['audit-log', `/console/accounts/${accountId}/operations`],
      ['webhooks', webhooksPath()],
      ['webhook-deliveries', `${webhooksPath()}/${webhookId}/deliveries`],
      ['webhook-delete', `${webhooksPath()}/${webhookId}/delete`],
      ['not-found', keyPath('key_0000000000000000000000')],
    );
    // An account and an admin token with 100-character names, for the operator's pages.
    await gateway.createAccount(LONG_NAME);
    const token = await createAdminTokenWithId(gateway, accountId, 'viewer', LONG_NAME);
    rootScreens.push(
      ['signing-keys', '/console/signing-keys'],
      ['admin-tokens', `/console/accounts/${accountId}/admin-tokens`],
      ['admin-token-revoke', `/console/accounts/${accountId}/admin-tokens/${token.id}/revoke`],
    );
  });

  for (const width of WIDTHS) {
    it(`lays every page out without horizontal overflow at ${width} px, and axe finds nothing serious`, { timeout: 600_000 }, async () => {
      expect(screens.length).toBeGreaterThan(0);
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      const problems: string[] = [];
      const check = async (target: Page, name: string) => {
        const layout = await overflowing(target);
        if (layout.scrollWidth > layout.width || layout.wide.length > 0) {
          problems.push(`${name}: page ${layout.scrollWidth} px wide; ${layout.wide.slice(0, 5).join('; ')}`);
        }
        const scan = await new AxeBuilder({ page: target }).analyze();
        for (const violation of scan.violations) {
          if (violation.impact === 'serious' || violation.impact === 'critical') {
            const where = violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ');
            problems.push(`${name}: axe ${violation.id} (${violation.impact}) on ${where}`);
          }
        }
        await screenshot(target, `console-${name}-${width}`);
      };
      try {
        for (const [name, path] of screens) {
          await page.goto(url(path));
          if (showingTheLongName.has(name)) expect(await page.textContent('main'), name).toContain(LONG_NAME);
          await check(page, name);
        }
        // A new secret, shown once (a sandbox key made for it).
        await page.goto(url(environmentPath('sandbox')));
        await createKey({ name: `shown-once-${width}`, scopes: [] });
        await check(page, 'secret-shown-once');
        // The create form with an error on every kind of field: the paste, a limit, the name.
        await page.goto(url(environmentPath('sandbox')));
        await page.check('#auth-private_key_jwt');
        await page.fill('#name', `${LONG_NAME.slice(0, 90)}\u0007`);
        await page.fill('#jwks', '{"kty": "EC", "d": "private"}');
        await page.fill('#rateLimitRequests', '0');
        await page.fill('#tokenRateLimitWindow', '99999999');
        await submit(page.click('button:has-text("Create key")'));
        expect(await page.locator('.field-error').count()).toBe(6);
        await check(page, 'key-form-errors');
        // A webhook's signing secret, shown once.
        await page.goto(url(webhooksPath()));
        await page.fill('#url', `${LONG_URL}-${width}`);
        await Promise.all([page.waitForURL(/\/secret$/), page.click('button:has-text("Add webhook")')]);
        expect(await page.textContent('main'), 'webhook-secret').toContain(LONG_NAME);
        await check(page, 'webhook-secret-shown-once');
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
      // The sign-in page as a visitor sees it, then the operator's own pages.
      const operator = await browser.newContext({ viewport: { width, height: 800 } });
      try {
        const rootPage = await operator.newPage();
        await rootPage.goto(url('/console/sign-in'));
        await check(rootPage, 'sign-in');
        await rootPage.fill('#token', gateway.rootToken);
        await Promise.all([rootPage.waitForURL(/\/accounts$/), rootPage.click('button:has-text("Sign in")')]);
        expect(await rootPage.textContent('main'), 'accounts').toContain(LONG_NAME);
        await check(rootPage, 'accounts');
        for (const [name, path] of rootScreens) {
          await rootPage.goto(url(path));
          if (showingTheLongName.has(name)) expect(await rootPage.textContent('main'), name).toContain(LONG_NAME);
          await check(rootPage, name);
        }
      } finally {
        await operator.close();
      }
      expect(problems).toEqual([]);
    });
  }

  it('no page broke the Content-Security-Policy', () => {
    expect(cspViolations).toEqual([]);
  });
});
