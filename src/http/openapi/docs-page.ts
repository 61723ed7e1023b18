// /docs: the API reference, drawn by Scalar's standalone script served by keymint itself, in a sandboxed page
// whose origin is opaque, so nothing running there can reach the console's cookies, pages or forms.
import type { Context, Hono } from 'hono';
import { html, raw } from 'hono/html';
import { crc32 } from '../../core/crc32.js';
import { toBase62, utf8 } from '../../shared/encoding.js';
import type { ApiReferenceScriptSource } from '../../ports/api-reference-script.js';
import type { AppEnv } from '../services.js';

/**
 * `sandbox allow-scripts` without `allow-same-origin` gives the page an opaque origin: its scripts run, but a
 * request it makes to /console is cross-site (no SameSite cookie goes with it, and its answer cannot be read),
 * it has no cookies or storage of its own, and it can open no window and submit no form. `'self'` still means
 * keymint's origin for loading the scripts. Scalar injects its styles at run time, hence 'unsafe-inline' there.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  'sandbox allow-scripts',
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Where no script is shipped (Workers): a page with nothing to run at all. */
export const DOCS_WITHOUT_SCRIPT_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Scalar, offline and without reaching out: no web fonts, no AI agent, no telemetry, and no "Test request"
 * client (from an opaque origin it could not call keymint anyway; use curl).
 */
const SCALAR_CONFIGURATION = {
  withDefaultFonts: false,
  agent: { disabled: true },
  telemetry: false,
  hideClientButton: true,
  hideTestRequestButton: true,
  showDeveloperTools: 'never',
  documentDownloadType: 'none',
};

const STORAGE_SHIM = `// keymint /docs: the page is sandboxed (an opaque origin), where reading localStorage or sessionStorage throws.
// Scalar reads both as it starts (colour mode, remembered choices); it gets an in-memory stand-in instead.
'use strict';
(function () {
  function memoryStorage() {
    var items = new Map();
    return {
      get length() { return items.size; },
      key: function (index) { var keys = Array.from(items.keys()); return index < keys.length ? keys[index] : null; },
      getItem: function (key) { key = String(key); return items.has(key) ? items.get(key) : null; },
      setItem: function (key, value) { items.set(String(key), String(value)); },
      removeItem: function (key) { items.delete(String(key)); },
      clear: function () { items.clear(); }
    };
  }
  ['localStorage', 'sessionStorage'].forEach(function (name) {
    try {
      void window[name];
    } catch (error) {
      Object.defineProperty(window, name, { value: memoryStorage(), configurable: true });
    }
  });
})();
`;

const SHIM_NAME = `storage-shim.${toBase62(crc32(utf8(STORAGE_SHIM)), 6)}.js`;
const scriptName = (version: string) => `scalar-standalone.${version}.js`;

export const DOCS_ASSET_PREFIX = '/docs/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';

function pageHeaders(policy: string): Record<string, string> {
  return {
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'public, max-age=300',
  };
}

/** The OpenAPI document inside a JSON data block; `<` escaped so no `</script>` can end it early. */
function embeddedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function referencePage(c: Context, document: object, version: string) {
  const page = html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>keymint API reference</title>
  </head>
  <body>
    <noscript>The reference needs JavaScript. The OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
    <script id="api-reference" type="application/json" data-configuration="${JSON.stringify(SCALAR_CONFIGURATION)}">${raw(embeddedJson(document))}</script>
    <script src="${DOCS_ASSET_PREFIX}${SHIM_NAME}"></script>
    <script src="${DOCS_ASSET_PREFIX}${scriptName(version)}"></script>
  </body>
</html>`;
  return c.html(page, 200, pageHeaders(DOCS_CONTENT_SECURITY_POLICY));
}

function pageWithoutScript(c: Context) {
  const page = html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>keymint API reference</title>
  </head>
  <body>
    <h1>keymint API reference</h1>
    <p>
      The interactive reference is served by keymint on Node (<code>npm start</code>) only: on Cloudflare Workers
      its script (about 3.5 MB) is not bundled.
    </p>
    <p>The OpenAPI 3.1 document is here: <a href="/openapi.json">/openapi.json</a>. Open it in any OpenAPI viewer.</p>
  </body>
</html>`;
  return c.html(page, 200, pageHeaders(DOCS_WITHOUT_SCRIPT_POLICY));
}

function javascript(c: Context, body: string | Uint8Array<ArrayBuffer>, gzipped?: Uint8Array<ArrayBuffer>) {
  const headers: Record<string, string> = {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': IMMUTABLE,
    'X-Content-Type-Options': 'nosniff',
  };
  if (!gzipped) return c.body(body, 200, headers);
  headers.Vary = 'Accept-Encoding';
  if (/\bgzip\b/i.test(c.req.header('accept-encoding') ?? '')) return c.body(gzipped, 200, { ...headers, 'Content-Encoding': 'gzip' });
  return c.body(body, 200, headers);
}

export function mountReferencePage(
  app: Hono<AppEnv>,
  options: { document: () => Promise<object>; script: ApiReferenceScriptSource | undefined },
) {
  const { document, script } = options;
  app.get('/docs', async (c) => {
    if (!script) return pageWithoutScript(c);
    const [loaded, openApi] = await Promise.all([script(), document()]);
    return referencePage(c, openApi, loaded.version);
  });
  app.get(`${DOCS_ASSET_PREFIX}:file`, async (c) => {
    const file = c.req.param('file');
    if (!script) return c.text('no such asset', 404);
    if (file === SHIM_NAME) return javascript(c, STORAGE_SHIM);
    const loaded = await script();
    if (file === scriptName(loaded.version)) return javascript(c, loaded.body, loaded.gzipped);
    return c.text('no such asset', 404);
  });
}
