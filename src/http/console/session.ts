// The console's cookies: the session id (or, before sign-in, the sign-in form's CSRF token), the one-time secret flash
// and the notice of what the last action did.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { isConsoleSessionId } from '../../core/console-sessions.js';
import { randomBase62, timingSafeEqual } from '../../shared/encoding.js';

export const CONSOLE_PATH = '/console';
export const SESSION_COOKIE = 'keymint_console';
export const SECRET_COOKIE = 'keymint_console_secret';
export const NOTICE_COOKIE = 'keymint_console_notice';
export const CSRF_FIELD = '_csrf';

const CSRF_LENGTH = 32;
const CSRF_SHAPE = /^[0-9A-Za-z]{32}$/;
/** The browser forgets the cookie when the server-side session ends at the latest (12 hours). */
const SESSION_SECONDS = 12 * 60 * 60;
/** A sign-in form (CSRF token, no session yet) stays usable for an hour. */
const SIGN_IN_SECONDS = 60 * 60;
/** The secret crosses one redirect; it is read at once, so two minutes is plenty. */
const SECRET_SECONDS = 120;
/** A notice is for the page the redirect lands on, a moment later. */
const NOTICE_SECONDS = 60;
const NOTICE_SHAPE = /^[a-z-]{1,40}(:\d{1,9})?$/;

/**
 * What the HttpOnly, SameSite=Strict session cookie holds: before sign-in, the sign-in form's CSRF token (login
 * CSRF); after, only a random session id, whose record (actor, the admin token's keyed hash, the session's CSRF
 * token, deadlines) stays on the server. The admin token itself is never in a cookie. `stale` is anything else
 * (such as a cookie from before server-side sessions, which held the token): the session it named is over.
 */
export type ConsoleCookie = { kind: 'sign-in'; csrf: string } | { kind: 'session'; id: string } | { kind: 'stale' };

function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  // Behind a TLS-terminating proxy; trusting the header can only add the Secure flag, never drop it.
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

function cookieOptions(c: Context, path: string, maxAge: number): CookieOptions {
  return { path, httpOnly: true, sameSite: 'Strict', secure: isHttps(c), maxAge };
}

export function readConsoleCookie(c: Context): ConsoleCookie | null {
  const value = getCookie(c, SESSION_COOKIE);
  if (!value) return null;
  if (CSRF_SHAPE.test(value)) return { kind: 'sign-in', csrf: value };
  if (isConsoleSessionId(value)) return { kind: 'session', id: value };
  return { kind: 'stale' };
}

/** Starts a sign-in form under a fresh CSRF token, and returns it. */
export function writeSignInCookie(c: Context): string {
  const csrf = randomBase62(CSRF_LENGTH);
  setCookie(c, SESSION_COOKIE, csrf, cookieOptions(c, CONSOLE_PATH, SIGN_IN_SECONDS));
  return csrf;
}

export function writeSessionCookie(c: Context, id: string): void {
  setCookie(c, SESSION_COOKIE, id, cookieOptions(c, CONSOLE_PATH, SESSION_SECONDS));
}

export function clearSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c, CONSOLE_PATH, 0));
}

export function csrfMatches(expected: string, presented: unknown): boolean {
  return typeof presented === 'string' && timingSafeEqual(presented, expected);
}

export type SecretEvent = 'created' | 'regenerated';

/**
 * Carries a new application secret across the redirect after the POST that made it, to the one page
 * that shows it. The cookie's Path is that page alone, it lives two minutes, and the page deletes it.
 */
export function flashSecret(c: Context, pagePath: string, event: SecretEvent, secret: string): void {
  setCookie(c, SECRET_COOKIE, `${event}:${secret}`, cookieOptions(c, pagePath, SECRET_SECONDS));
}

export function takeFlashedSecret(c: Context, pagePath: string): { event: SecretEvent; secret: string } | null {
  const value = getCookie(c, SECRET_COOKIE);
  if (value === undefined) return null;
  deleteCookie(c, SECRET_COOKIE, cookieOptions(c, pagePath, 0));
  const match = /^(created|regenerated):(\S+)$/.exec(value);
  return match ? { event: match[1] as SecretEvent, secret: match[2]! } : null;
}

/**
 * Carries the notice of what a POST did (`name`, or `name:count`) across its redirect to the next page, which shows
 * it and deletes the cookie: reloading that page, or coming back to it, does not show it again.
 */
export function flashNotice(c: Context, notice: string): void {
  if (!NOTICE_SHAPE.test(notice)) throw new TypeError(`not a notice: ${notice}`);
  setCookie(c, NOTICE_COOKIE, notice, cookieOptions(c, CONSOLE_PATH, NOTICE_SECONDS));
}

export function takeNotice(c: Context): string | null {
  const value = getCookie(c, NOTICE_COOKIE);
  if (value === undefined) return null;
  deleteCookie(c, NOTICE_COOKIE, cookieOptions(c, CONSOLE_PATH, 0));
  return NOTICE_SHAPE.test(value) ? value : null;
}
