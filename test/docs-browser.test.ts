// Issue 11 item 3 in a real Chromium: /docs renders the API reference with every non-loopback request blocked (its
// script is keymint's own), and a script running there — or on any other page of the origin — can neither read a
// console page's CSRF token nor disable a key with the cookie of a manager signed in to the console.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from './support/admin-auth-suite.js';
import { browserAvailable, launchBrowser, screenshot } from './support/browser.js';
import { startGateway, type Gateway } from './support/gateway.js';

interface Attack {
  csrf: string | null;
  reads: Record<string, { status?: number; type?: string; error?: string }>;
  writes: Record<string, { status?: number; type?: string; error?: string }>;
  cookie: string;
  popup: boolean;
}

/**
 * What an injected script tries: read a console page (to take its CSRF token) in every fetch mode, read cookies,
 * post the disable form with whatever token it found, and open the console in a window it could script.
 */
async function attack(page: Page, paths: { keys: string; disable: string }, knownCsrf?: string): Promise<Attack> {
  return page.evaluate(
    async ({ keys, disable, knownCsrf }) => {
      const result: Attack = { csrf: null, reads: {}, writes: {}, cookie: '', popup: false };
      for (const mode of ['cors', 'same-origin', 'no-cors'] as const) {
        try {
          const response = await fetch(keys, { credentials: 'include', mode });
          const text = response.type === 'opaque' ? '' : await response.text();
          result.reads[mode] = { status: response.status, type: response.type };
          result.csrf ??= /name="_csrf" value="([0-9A-Za-z]{32})"/.exec(text)?.[1] ?? null;
        } catch (error) {
          result.reads[mode] = { error: String(error) };
        }
      }
      try {
        result.cookie = document.cookie;
      } catch (error) {
        result.cookie = `threw ${(error as Error).name}`;
      }
      for (const mode of ['cors', 'no-cors'] as const) {
        try {
          const body = new URLSearchParams({ _csrf: knownCsrf ?? result.csrf ?? 'guessed' });
          const response = await fetch(disable, { method: 'POST', credentials: 'include', mode, body });
          result.writes[mode] = { status: response.status, type: response.type };
        } catch (error) {
          result.writes[mode] = { error: String(error) };
        }
      }
      try {
        result.popup = window.open(keys) !== null;
      } catch {
        result.popup = false;
      }
      return result;
    },
    { ...paths, knownCsrf },
  );
}

describe.skipIf(!browserAvailable())('/docs in Chromium', { timeout: 120_000 }, () => {
  let gateway: Gateway;
  let browser: Browser;
  let context: BrowserContext;
  let consoleTab: Page;
  let accountId: string;
  const blocked: string[] = [];

  beforeAll(async () => {
    [gateway, browser] = await Promise.all([startGateway({ env: { KEYMINT_KEYS_PER_ENVIRONMENT: '20' } }), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Offline but for keymint: every request to anything other than the loopback gateway is aborted (and noted).
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      blocked.push(url.href);
      return route.abort();
    });
    accountId = (await gateway.createAccount('Docs in Chromium')).id;
    // A manager signed in to the console in this browser: the cookie an attacker on /docs would like to use.
    consoleTab = await context.newPage();
    await consoleTab.goto(`${gateway.url}/console/sign-in`);
    await consoleTab.fill('#token', await createAdminToken(gateway, accountId, 'manager'));
    await Promise.all([consoleTab.waitForURL(/\/sandbox$/), consoleTab.click('button:has-text("Sign in")')]);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  const paths = (keyId: string) => ({
    keys: `/console/accounts/${accountId}/sandbox`,
    disable: `/console/accounts/${accountId}/keys/${keyId}/disable`,
  });

  async function keyStatus(keyId: string): Promise<string> {
    const response = await gateway.admin('GET', `/accounts/${accountId}/keys/${keyId}`);
    return ((await response.json()) as { status: string }).status;
  }

  /** The manager's own tab still has the power the attacks lacked: its Disable button works. */
  async function disableFromConsole(keyId: string): Promise<void> {
    await consoleTab.goto(`${gateway.url}${paths(keyId).keys}`);
    await Promise.all([
      consoleTab.waitForEvent('load'),
      consoleTab.locator(`tr[data-key-id="${keyId}"] button:has-text("Disable")`).click(),
    ]);
    expect(await keyStatus(keyId)).toBe('disabled');
  }

  it('renders the reference with every non-loopback request blocked, in an opaque origin, with nothing refused by its CSP', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const response = await page.goto(`${gateway.url}/docs`);
    expect(response?.status()).toBe(200);
    // The OpenAPI document as Scalar draws it: its description, and the sidebar of tags and operations.
    await page.getByText('Token-exchange gateway: API access keys in').first().waitFor({ state: 'visible', timeout: 45_000 });
    const sidebar = await page.locator('nav, aside').first().innerText();
    for (const entry of ['Discovery', 'OAuth', 'Proxy', 'Admin', 'RFC 8414 authorization server metadata']) expect(sidebar).toContain(entry);
    expect(await page.evaluate(() => window.origin)).toBe('null');
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await screenshot(page, 'docs-reference');
    await page.close();
  });

  it('keeps a script injected on /docs away from console tokens and forms', async () => {
    const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'target of /docs' });
    const docs = await context.newPage();
    await docs.goto(`${gateway.url}/docs`);

    const result = await attack(docs, paths(key.id));
    expect(result.csrf).toBeNull();
    // From the sandbox's opaque origin no read gets an answer it can see.
    for (const read of Object.values(result.reads)) expect(read.error ?? read.type, JSON.stringify(result.reads)).toMatch(/TypeError|opaque/);
    expect(result.cookie).toMatch(/^threw/);
    expect(result.popup).toBe(false);
    // A form submitted from the page (blocked by the sandbox; refused by the console if it ever left).
    await docs.evaluate((action) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      document.body.append(form);
      form.submit();
    }, paths(key.id).disable);
    await docs.waitForTimeout(500);
    expect(await keyStatus(key.id)).toBe('active');
    await docs.close();

    await disableFromConsole(key.id);
  });

  it('keeps any other page of the origin from reading console pages or posting console forms, a valid CSRF token and all', async () => {
    const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'target of /openapi.json' });
    // A same-origin page without the sandbox (a JSON document shown in a tab), and a CSRF token that leaked.
    const other = await context.newPage();
    await other.goto(`${gateway.url}/openapi.json`);
    expect(await other.evaluate(() => window.origin)).toBe(gateway.url);
    await consoleTab.goto(`${gateway.url}${paths(key.id).keys}`);
    const leaked = await consoleTab.locator('input[name="_csrf"]').first().getAttribute('value');
    expect(leaked).toMatch(/^[0-9A-Za-z]{32}$/);

    const result = await attack(other, paths(key.id), leaked!);
    expect(result.csrf).toBeNull();
    expect(result.reads['cors']?.status).toBe(403);
    expect(result.reads['same-origin']?.status).toBe(403);
    expect(result.writes['cors']?.status).toBe(403);
    expect(await keyStatus(key.id)).toBe('active');
    await other.close();

    await disableFromConsole(key.id);
  });
});
