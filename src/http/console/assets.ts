// The console's stylesheet, script and icon: string constants served as files, because the Content-Security-Policy
// admits no inline style or script. Names carry a content hash, so they cache forever.
import type { Handler } from 'hono';
import { SCRIPT } from './console-script.js';
import { STYLESHEET } from './console-style.js';
import { crc32 } from '../../core/crc32.js';
import { toBase62, utf8 } from '../../shared/encoding.js';

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
