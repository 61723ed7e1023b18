// The console's cookies: the session (admin token + per-session CSRF token) and the one-time secret flash.
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { randomBase62, timingSafeEqual } from '../../shared/encoding.js';

export const CONSOLE_PATH = '/console';
export const SESSION_COOKIE = 'keymint_console';
export const SECRET_COOKIE = 'keymint_console_secret';
export const CSRF_FIELD = '_csrf';

const CSRF_LENGTH = 32;
const CSRF_SHAPE = /^[0-9A-Za-z]{32}$/;
/** A signed-in console session lasts a working day; the admin token itself does not expire. */
const SESSION_SECONDS = 12 * 60 * 60;
/** A sign-in form (CSRF token, no admin token yet) stays usable for an hour. */
const SIGN_IN_SECONDS = 60 * 60;
/** The secret crosses one redirect; it is read at once, so two minutes is plenty. */
const SECRET_SECONDS = 120;

/**
 * The cookie holds `<csrf>` before sign-in and `<csrf>.<admin token>` after. Keeping both in one
 * HttpOnly, SameSite=Strict cookie ties the CSRF token to the session it protects: a page on another
 * site can neither read it nor plant a matching pair without already holding a valid admin token.
 */
export interface ConsoleSession {
  csrf: string;
  token: string | null;
}

function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  // Behind a TLS-terminating proxy; trusting the header can only add the Secure flag, never drop it.
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}

function cookieOptions(c: Context, path: string, maxAge: number): CookieOptions {
  return { path, httpOnly: true, sameSite: 'Strict', secure: isHttps(c), maxAge };
}

export function readSession(c: Context): ConsoleSession | null {
  const value = getCookie(c, SESSION_COOKIE);
  if (!value) return null;
  const csrf = value.slice(0, CSRF_LENGTH);
  if (!CSRF_SHAPE.test(csrf)) return null;
  if (value.length === CSRF_LENGTH) return { csrf, token: null };
  if (value[CSRF_LENGTH] !== '.') return null;
  return { csrf, token: value.slice(CSRF_LENGTH + 1) || null };
}

/** Starts a session (or, with no token, a sign-in form) under a fresh CSRF token, and returns it. */
export function writeSession(c: Context, token: string | null): string {
  const csrf = randomBase62(CSRF_LENGTH);
  const value = token === null ? csrf : `${csrf}.${token}`;
  setCookie(c, SESSION_COOKIE, value, cookieOptions(c, CONSOLE_PATH, token === null ? SIGN_IN_SECONDS : SESSION_SECONDS));
  return csrf;
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
