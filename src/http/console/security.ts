// The console's browser-facing defences: a strict CSP and friends on every answer, the Origin check on POSTs, and
// Fetch Metadata: console pages answer top-level navigations only.
import type { MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import type { Services } from '../services.js';
import { ConsoleError } from './context.js';

/** Nothing inline, nothing from elsewhere: styles and scripts are files under /console/assets/. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const consoleSecurityHeaders: MiddlewareHandler = async function consoleSecurityHeaders(c, next) {
  await next();
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  // Console URLs name accounts and keys; they stay on this origin.
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
};

/**
 * hono/csrf: a state-changing form must come from this origin (`Sec-Fetch-Site: same-origin`, or an
 * `Origin` equal to the request's own or to KEYMINT_PUBLIC_URL's, for a console behind a TLS proxy).
 * The per-session token in every form is checked separately, by the session middleware.
 */
export function sameOriginForms(services: Services): MiddlewareHandler {
  const publicOrigin = new URL(services.config.publicUrl).origin;
  return csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicOrigin });
}

function isConsolePage(referer: string, origins: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return false;
  }
  return origins.includes(url.origin) && (url.pathname === '/console' || url.pathname.startsWith('/console/'));
}

/**
 * Console pages open only as pages of their own, in a tab, and forms post only from console pages.
 *
 * Same-origin requests carry the Path=/console cookie whichever page of the origin makes them, so a script on any
 * other page of it (whatever /docs, or a future page, ever runs) could fetch() a console page, read its CSRF
 * token and post a form. Browsers say what asks (Fetch Metadata, sent to https and localhost origins):
 * `Sec-Fetch-Mode: navigate` with `Sec-Fetch-Dest: document` for a tab, `cors`/`same-origin`/`no-cors` and
 * `empty` for fetch(), `iframe` for a frame. Only a top-level navigation is answered; everything else is refused
 * before the session is read, so no CSRF token leaves. A POST whose Referer names a page outside /console is
 * refused too (console pages send none: Referrer-Policy no-referrer). Clients that send no Sec-Fetch-Site (curl,
 * Node's fetch) are not browsers and hold no one's cookie.
 */
export function consoleNavigationsOnly(services: Services): MiddlewareHandler {
  const publicOrigin = new URL(services.config.publicUrl).origin;
  return async function consoleNavigationsOnly(c, next) {
    // Browsers send Sec-Fetch-Site with the others; a lone Sec-Fetch-Mode is Node's fetch (undici), not a browser.
    const fromBrowser = c.req.header('sec-fetch-site') !== undefined;
    const mode = c.req.header('sec-fetch-mode');
    const destination = c.req.header('sec-fetch-dest') ?? 'document';
    if (fromBrowser && (mode !== 'navigate' || destination !== 'document')) {
      throw new ConsoleError(403, 'Request refused', 'Console pages open only in a browser tab of their own: not in a frame, and not from a script.');
    }
    const referer = c.req.header('referer');
    if (c.req.method === 'POST' && referer !== undefined && !isConsolePage(referer, [new URL(c.req.url).origin, publicOrigin])) {
      throw new ConsoleError(403, 'Request refused', 'This form was not sent from a keymint console page. Reload the page and try again.');
    }
    await next();
  };
}
