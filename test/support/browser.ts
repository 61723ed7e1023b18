// A real headless Chromium for the console tests: Debian's `chromium` package driven by playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's package; KEYMINT_CHROMIUM_PATH points elsewhere (another distribution, a local Chrome). */
export const CHROMIUM_PATH = process.env.KEYMINT_CHROMIUM_PATH || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests can run. Without Chromium they are skipped with a warning, unless
 * KEYMINT_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run instead.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const missing = `${CHROMIUM_PATH} not found (install it with: apt-get install -y chromium)`;
  if (process.env.KEYMINT_REQUIRE_BROWSER === '1') throw new Error(`KEYMINT_REQUIRE_BROWSER=1 but ${missing}`);
  console.warn(`browser tests skipped: ${missing}; set KEYMINT_REQUIRE_BROWSER=1 to fail instead`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Saves a screenshot under docs/screenshots/ when KEYMINT_SCREENSHOTS=1, so ordinary test runs leave the
 * committed images alone (their ids and times change on every run).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.KEYMINT_SCREENSHOTS !== '1') return;
  const path = `docs/screenshots/${name}.png`;
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
}
