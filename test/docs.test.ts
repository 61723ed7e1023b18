// Issue 11 item 3, over HTTP: /docs serves Scalar's pinned standalone script from keymint itself under a sandboxing CSP,
// and console pages answer only top-level navigations, so no other page of the origin can read a CSRF token.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_CONTENT_SECURITY_POLICY } from '../src/http/openapi/docs-page.js';
import { createAdminToken } from './support/admin-auth-suite.js';
import { ConsoleClient } from './support/console-client.js';
import { startGateway, type Gateway } from './support/gateway.js';

const SCALAR = readFileSync(createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js'));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What Chromium sends for a page opened in a tab, and for fetch() and frames on the same origin. */
const TAB = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
const NOT_A_TAB: Array<[what: string, headers: Record<string, string>]> = [
  ['fetch() (cors)', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }],
  ["fetch() with mode 'same-origin'", { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'same-origin', 'sec-fetch-dest': 'empty' }],
  ['fetch() with no-cors', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty' }],
  ['an iframe', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }],
];

describe('/docs and the console', () => {
  let gateway: Gateway;
  let accountId: string;
  let manager: ConsoleClient;

  beforeAll(async () => {
    gateway = await startGateway({ env: { KEYMINT_KEYS_PER_ENVIRONMENT: '20' } });
    accountId = (await gateway.createAccount('Docs')).id;
    manager = new ConsoleClient(gateway, { inProcess: true });
    await manager.signIn(await createAdminToken(gateway, accountId, 'manager'));
  });
  afterAll(() => gateway.close());

  const keysPage = () => `/console/accounts/${accountId}/sandbox`;

  describe('/docs', () => {
    it('is sandboxed (an opaque origin) under a CSP that admits scripts from keymint alone', async () => {
      const response = await gateway.fetch('/docs');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const policy = response.headers.get('content-security-policy')!;
      expect(policy).toBe(DOCS_CONTENT_SECURITY_POLICY);
      const directives = Object.fromEntries(policy.split('; ').map((directive) => [directive.split(' ')[0], directive]));
      expect(directives.sandbox).toBe('sandbox allow-scripts');
      expect(directives['script-src']).toBe("script-src 'self'");
      expect(directives['connect-src']).toBe("connect-src 'self'");
      expect(directives['frame-ancestors']).toBe("frame-ancestors 'none'");
      expect(policy).not.toMatch(/https?:|\*|allow-same-origin|allow-forms|allow-popups/);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    });

    it('loads only scripts served by keymint: a storage shim and the pinned Scalar bundle, long-cached', async () => {
      const html = await (await gateway.fetch('/docs')).text();
      const sources = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((match) => match[1]!);
      expect(sources).toEqual([
        expect.stringMatching(/^\/docs\/assets\/storage-shim\.\w{6}\.js$/),
        expect.stringMatching(/^\/docs\/assets\/scalar-standalone\.[\w-]{12}\.js$/),
      ]);
      // No inline script runs: the one other <script> is a JSON data block (the OpenAPI document itself).
      const inline = [...html.matchAll(/<script\b(?![^>]*\bsrc=)([^>]*)>/g)].map((match) => match[1]!);
      expect(inline).toEqual([expect.stringContaining('type="application/json"')]);
      expect(html).not.toMatch(/cdn\.jsdelivr|unpkg|fonts\.scalar|proxy\.scalar/);

      for (const source of sources) {
        const response = await gateway.fetch(source);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      }
      const scalar = await gateway.fetch(sources[1]!, { headers: { 'accept-encoding': 'gzip' } });
      expect(scalar.headers.get('content-encoding')).toBe('gzip');
      expect(sha256(new Uint8Array(await scalar.arrayBuffer()))).toBe(sha256(SCALAR));
      const plain = await gateway.fetch(sources[1]!, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(sha256(new Uint8Array(await plain.arrayBuffer()))).toBe(sha256(SCALAR));

      expect((await gateway.fetch('/docs/assets/scalar-standalone.000000000000.js')).status).toBe(404);
    });

    it('embeds the OpenAPI document so that no `</script>` in it can end the data block', async () => {
      const html = await (await gateway.fetch('/docs')).text();
      const block = /<script id="api-reference" type="application\/json"[^>]*>([\s\S]*?)<\/script>/.exec(html)![1]!;
      const embedded = JSON.parse(block) as { openapi: string; paths: object };
      const served = (await (await gateway.fetch('/openapi.json')).json()) as object;
      expect(embedded).toEqual(served);
      expect(block).not.toContain('<');
    });
  });

  describe('console pages answer top-level navigations only', () => {
    it('serves a page opened in a tab, with its CSRF token', async () => {
      const response = await manager.request('GET', keysPage(), { headers: TAB });
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/name="_csrf" value="[0-9A-Za-z]{32}"/);
    });

    it.each(NOT_A_TAB)('refuses %s with a 403 page that carries no CSRF token', async (_, headers) => {
      for (const path of [keysPage(), '/console/accounts', '/console/sign-in']) {
        const response = await manager.request('GET', path, { headers });
        expect(response.status, path).toBe(403);
        const html = await response.text();
        expect(html).toContain('not from a script');
        expect(html).not.toContain('_csrf');
      }
    });

    it.each(NOT_A_TAB)('refuses a POST from %s, with the right CSRF token and all', async (_, headers) => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox', name: `target ${Math.random()}` });
      await manager.page(keysPage());
      const response = await manager.post(`/console/accounts/${accountId}/keys/${key.id}/disable`, {}, headers);
      expect(response.status).toBe(403);
      const after = await gateway.admin('GET', `/accounts/${accountId}/keys/${key.id}`);
      expect(((await after.json()) as { status: string }).status).toBe('active');
    });

    it('refuses a form posted from /docs (its Referer), and accepts one from a console page', async () => {
      const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'referred' });
      await manager.page(keysPage());
      const disable = `/console/accounts/${accountId}/keys/${key.id}/disable`;
      const fromDocs = await manager.post(disable, {}, { ...TAB, referer: `${gateway.url}/docs` });
      expect(fromDocs.status).toBe(403);
      expect(await fromDocs.text()).toContain('not sent from a keymint console page');
      const fromConsole = await manager.post(disable, {}, { ...TAB, referer: `${gateway.url}${keysPage()}` });
      expect(fromConsole.status).toBe(303);
      const after = await gateway.admin('GET', `/accounts/${accountId}/keys/${key.id}`);
      expect(((await after.json()) as { status: string }).status).toBe('disabled');
    });
  });
});
