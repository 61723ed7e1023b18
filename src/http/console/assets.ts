// The console's stylesheet, copy-button script and icon: string constants served as files, because the
// Content-Security-Policy admits no inline style or script. Names carry a content hash, so they cache forever.
import type { Handler } from 'hono';
import { crc32 } from '../../core/crc32.js';
import { toBase62, utf8 } from '../../shared/encoding.js';

const STYLESHEET = `
:root {
  --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --paper: #ffffff; --wash: #f4f6f9;
  --accent: #2358c8; --accent-ink: #ffffff; --danger: #b42318; --ok: #167a3d; --warn-bg: #fff6e0; --warn-line: #e5b43c;
  color-scheme: light;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; color: var(--ink); background: var(--wash); }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.92em; }
h1 { font-size: 1.5rem; margin: 0 0 0.75rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.25rem; padding: 0.6rem 1.5rem; background: var(--ink); color: #fff; }
.top a { color: #fff; }
.brand { font-weight: 700; letter-spacing: 0.02em; text-decoration: none; }
.top .account { color: #c9d2e3; }
.top .who { margin-left: auto; display: flex; align-items: center; gap: 0.75rem; color: #c9d2e3; }
.top .who form { margin: 0; }
.top .who button { background: transparent; color: #fff; border-color: #6b768c; }
.tabs { display: flex; gap: 0.25rem; padding: 0 1.5rem; background: var(--paper); border-bottom: 1px solid var(--line); }
.tabs a { padding: 0.6rem 0.9rem; text-decoration: none; color: var(--muted); border-bottom: 3px solid transparent; }
.tabs a[aria-current="page"] { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
main { max-width: 1260px; margin: 1.5rem auto; padding: 0 1.5rem; }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
.panel > h1:first-child, .panel > h2:first-child { margin-top: 0; }
.sign-in { margin: 3rem auto; }
.fineprint { color: var(--muted); font-size: 0.88em; margin: 1.25rem 0 0; }
.narrow { max-width: 560px; }
.table-panel { padding: 0.5rem 0.75rem; overflow-x: auto; }
.lead { color: var(--muted); margin-top: 0; }
table { width: 100%; border-collapse: collapse; background: var(--paper); }
th, td { text-align: left; padding: 0.55rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 0.82rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
td .sub { display: block; color: var(--muted); font-size: 0.85em; }
.actions { display: grid; grid-template-columns: repeat(2, max-content); gap: 0.3rem; }
.actions form { margin: 0; }
.actions button, .actions .button { width: 100%; padding: 0.2rem 0.55rem; font-size: 0.85em; text-align: center; }
time { white-space: nowrap; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
label .hint { font-weight: 400; color: var(--muted); }
input[type="text"], input[type="password"], input[type="datetime-local"] {
  width: 100%; max-width: 32rem; padding: 0.45rem 0.6rem; font: inherit; border: 1px solid var(--line); border-radius: 6px; background: #fff;
}
input[aria-invalid="true"] { border-color: var(--danger); }
fieldset.checks { border: 0; padding: 0; margin: 0; }
.checks legend { font-weight: 600; padding: 0; margin: 0.75rem 0 0.25rem; }
.checks label { display: inline-flex; align-items: center; gap: 0.3rem; font-weight: 400; margin-right: 1rem; }
.field-error { color: var(--danger); margin: 0.25rem 0 0; font-size: 0.9em; }
button, .button {
  display: inline-block; padding: 0.4rem 0.85rem; font: inherit; font-size: 0.92em; line-height: 1.4; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--line); background: #fff; color: var(--ink); text-decoration: none;
}
button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
button.danger, .button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
.button.danger-outline { color: var(--danger); border-color: #f0c4c0; }
button:disabled { opacity: 0.55; cursor: not-allowed; }
.form-row { margin-top: 1rem; display: flex; gap: 0.5rem; align-items: center; }
.badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.82em; font-weight: 600; }
.badge.active { background: #e3f4e8; color: var(--ok); }
.badge.disabled { background: #eceef2; color: var(--muted); }
.badge.expired { background: #fde8e6; color: var(--danger); }
.scope { display: inline-block; margin: 0 0.25rem 0.2rem 0; padding: 0 0.4rem; border-radius: 4px; background: var(--wash); border: 1px solid var(--line); }
.notice, .error, .warning, .readonly { border-radius: 6px; padding: 0.7rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.notice { background: #e9f6ee; border-color: #a6d8b6; }
.error { background: #fdeceb; border-color: #f0b8b3; color: #7a1a12; }
.warning { background: var(--warn-bg); border-color: var(--warn-line); }
.warning ul { margin: 0; padding-left: 1.2rem; }
.warning li + li { margin-top: 0.35rem; }
.confirm dl.facts { margin-bottom: 1rem; }
label.option { display: flex; gap: 0.5rem; align-items: baseline; font-weight: 400; }
.readonly { background: #eef2fb; border-color: #c3cfeb; }
.usage { display: flex; align-items: baseline; gap: 0.75rem; margin-bottom: 0.75rem; }
.usage strong { font-size: 1.1rem; }
.usage meter { width: 10rem; height: 0.8rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
.copyable { padding: 0.35rem 0.55rem; background: var(--wash); border: 1px solid var(--line); border-radius: 6px; user-select: all; word-break: break-all; }
.secret { font-size: 1.02em; background: #fffdf5; border-color: var(--warn-line); }
.empty { color: var(--muted); padding: 1rem 0; }
.pager { margin-top: 1rem; display: flex; gap: 1rem; }
footer { max-width: 1260px; margin: 2rem auto; padding: 0 1.5rem; color: var(--muted); font-size: 0.85em; }
`;

const SCRIPT = `// keymint console: copy buttons. A file, not inline, because the CSP allows script-src 'self' only.
'use strict';
document.addEventListener('click', function (event) {
  var button = event.target instanceof Element ? event.target.closest('[data-copy-target]') : null;
  if (!button) return;
  var source = document.getElementById(button.getAttribute('data-copy-target'));
  if (!source) return;
  var label = button.getAttribute('data-label') || button.textContent;
  button.setAttribute('data-label', label);
  function done(text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  function selectSource() {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  var text = source.textContent.trim();
  if (!navigator.clipboard) { selectSource(); done('Press Ctrl+C'); return; }
  navigator.clipboard.writeText(text).then(
    function () { done('Copied'); },
    function () { selectSource(); done('Press Ctrl+C'); }
  );
});
`;

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d2330"/><circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/><path d="M17 16h10m-3 0v4m-4-4v3" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round"/></svg>`;

interface Asset {
  body: string;
  type: string;
}

function hashedName(stem: string, extension: string, body: string): string {
  return `${stem}.${toBase62(crc32(utf8(body)), 6)}.${extension}`;
}

const stylesheetName = hashedName('console', 'css', STYLESHEET);
const scriptName = hashedName('console', 'js', SCRIPT);
const iconName = hashedName('icon', 'svg', ICON);

const ASSETS = new Map<string, Asset>([
  [stylesheetName, { body: STYLESHEET, type: 'text/css; charset=utf-8' }],
  [scriptName, { body: SCRIPT, type: 'text/javascript; charset=utf-8' }],
  [iconName, { body: ICON, type: 'image/svg+xml' }],
]);

export const ASSET_PATHS = {
  stylesheet: `/console/assets/${stylesheetName}`,
  script: `/console/assets/${scriptName}`,
  icon: `/console/assets/${iconName}`,
} as const;

export const serveAsset: Handler = function serveAsset(c) {
  const asset = ASSETS.get(c.req.param('file') ?? '');
  if (!asset) return c.text('no such asset', 404);
  return c.body(asset.body, 200, {
    'Content-Type': asset.type,
    'Cache-Control': 'public, max-age=31536000, immutable',
  });
};
