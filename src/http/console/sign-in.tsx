/** @jsxImportSource hono/jsx */
// Signing in and out: a server-side session per sign-in (the cookie holds its id), ended by sign-out or its deadlines.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Services } from '../services.js';
import { ConsoleError, formText, readForm, renderPage, type ConsoleEnv } from './context.js';
import { CsrfField, Layout, Message, TextField } from './layout.js';
import { paths } from './paths.js';
import type { ConsoleSessionFailure } from '../../core/console-sessions.js';
import { clearSession, CSRF_FIELD, csrfMatches, readConsoleCookie, writeSessionCookie, writeSignInCookie } from './session.js';

const NOTICES = {
  'signed-out': 'You are signed out.',
  ended: 'Your session ended: it was signed out, or its admin token is no longer valid. Sign in again.',
  expired: 'Your session expired (after an hour without activity, or 12 hours in all). Sign in again.',
} as const;

/** Where a session that cannot be resumed sends its browser. */
const FAILURE_NOTICES: Record<ConsoleSessionFailure, SignInNotice> = { unknown: 'ended', ended: 'ended', expired: 'expired' };

type SignInNotice = keyof typeof NOTICES;

function isNotice(value: string | undefined): value is SignInNotice {
  return value !== undefined && Object.hasOwn(NOTICES, value);
}

function signInPage(c: Context, csrf: string, state: { error?: string; notice?: SignInNotice }, status: ContentfulStatusCode = 200) {
  return renderPage(
    c,
    <Layout title="Sign in" chrome={{}}>
      <section class="panel narrow sign-in">
        <h1>Sign in</h1>
        <p class="lead">
          Use the operator's root token, or an account admin token: a manager changes keys, a viewer reads.
        </p>
        <Message kind="notice" text={state.notice && NOTICES[state.notice]} />
        <Message kind="error" text={state.error} id="sign-in-error" />
        <form method="post" action={paths.signIn}>
          <CsrfField csrf={csrf} />
          <TextField
            type="password"
            name="token"
            label="Admin token"
            required
            focus
            extra={state.error ? { 'aria-invalid': 'true', 'aria-describedby': 'sign-in-error' } : undefined}
          />
          <div class="form-row">
            <button type="submit" class="primary">
              Sign in
            </button>
          </div>
        </form>
        <p class="fineprint">
          The token is checked once and never stored in your browser: a session cookie for this console lasts until you
          sign out, an hour without activity, or 12 hours at most.
        </p>
      </section>
    </Layout>,
    status,
  );
}

export function signInRoutes(services: Services) {
  const { consoleSessions } = services;
  return new Hono<ConsoleEnv>()
    .get('/sign-in', async (c) => {
      const cookie = readConsoleCookie(c);
      if (cookie?.kind === 'session' && (await consoleSessions.resume(cookie.id)).ok) return c.redirect(paths.home, 303);
      // The sign-in form gets its own CSRF token (login CSRF); reuse one a second tab already holds.
      const csrf = cookie?.kind === 'sign-in' ? cookie.csrf : writeSignInCookie(c);
      const notice = c.req.query('notice');
      return signInPage(c, csrf, { notice: isNotice(notice) ? notice : undefined });
    })
    .post('/sign-in', async (c) => {
      const cookie = readConsoleCookie(c);
      const form = await readForm(c);
      if (cookie?.kind !== 'sign-in' || !csrfMatches(cookie.csrf, form[CSRF_FIELD])) {
        if (cookie?.kind === 'session') await consoleSessions.end(cookie.id);
        const csrf = writeSignInCookie(c);
        return signInPage(c, csrf, { error: 'The sign-in form expired. Enter the token again.' }, 403);
      }
      const identity = await services.adminGuard.identify(formText(form, 'token').trim(), services.clientIp(c));
      if (!identity.ok && identity.reason === 'rate_limited') {
        c.header('Retry-After', String(identity.retryAfter));
        const wait = `${identity.retryAfter} second${identity.retryAfter === 1 ? '' : 's'}`;
        return signInPage(c, cookie.csrf, { error: `Too many failed sign-ins from your address. Try again in ${wait}.` }, 429);
      }
      if (!identity.ok) return signInPage(c, cookie.csrf, { error: 'That admin token is not valid.' }, 401);
      // A new session, with its own CSRF token, so nothing from before sign-in carries over.
      const { id } = await consoleSessions.start(identity.value);
      writeSessionCookie(c, id);
      return c.redirect(paths.home, 303);
    })
    .post('/sign-out', async (c) => {
      const cookie = readConsoleCookie(c);
      const presented = (await readForm(c))[CSRF_FIELD];
      if (cookie?.kind === 'session') {
        const session = await consoleSessions.resume(cookie.id);
        if (session.ok && !csrfMatches(session.value.csrf, presented)) {
          throw new ConsoleError(403, 'Request refused', 'The sign-out form did not carry this session’s CSRF token.');
        }
        // Ends it on the server: the cookie, replayed, no longer opens anything.
        await consoleSessions.end(cookie.id);
      } else if (cookie?.kind === 'sign-in' && !csrfMatches(cookie.csrf, presented)) {
        throw new ConsoleError(403, 'Request refused', 'The sign-out form did not carry this session’s CSRF token.');
      }
      clearSession(c);
      return c.redirect(`${paths.signIn}?notice=signed-out`, 303);
    });
}

/**
 * Admits requests whose cookie names a live session (resumed on the server: deadlines, and the admin token
 * still authenticating), and checks every POST's CSRF token against the session's. Otherwise: to sign in.
 */
export function consoleSession(services: Services): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSession(c, next) {
    const cookie = readConsoleCookie(c);
    if (!cookie || cookie.kind === 'sign-in') return c.redirect(paths.signIn, 303);
    const session = cookie.kind === 'session' ? await services.consoleSessions.resume(cookie.id) : null;
    if (!session?.ok) {
      clearSession(c);
      return c.redirect(`${paths.signIn}?notice=${FAILURE_NOTICES[session?.reason ?? 'unknown']}`, 303);
    }
    c.set('actor', session.value.actor);
    c.set('csrf', session.value.csrf);
    if (c.req.method === 'POST' && !csrfMatches(session.value.csrf, (await readForm(c))[CSRF_FIELD])) {
      throw new ConsoleError(403, 'Request refused', 'This form did not carry the session’s CSRF token. Reload the page and try again.');
    }
    await next();
  };
}
