// The console's browser-facing defences: a strict CSP and friends on every answer, and the Origin check on POSTs.
import type { MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import type { Services } from '../services.js';

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
