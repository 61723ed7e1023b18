/** @jsxImportSource hono/jsx */
// Signing in and out: the admin token goes into the session cookie, and the session middleware reads it back.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Services } from '../services.js';
import { ConsoleError, formText, readForm, renderPage, type ConsoleEnv } from './context.js';
import { CsrfField, Layout, Message, TextField } from './layout.js';
import { paths } from './paths.js';
import { clearSession, CSRF_FIELD, csrfMatches, readSession, writeSession } from './session.js';

const NOTICES = {
  'signed-out': 'You are signed out.',
  ended: 'Your session ended: that admin token is no longer valid. Sign in again.',
} as const;

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
        <Message kind="error" text={state.error} />
        <form method="post" action={paths.signIn}>
          <CsrfField csrf={csrf} />
          <TextField type="password" name="token" label="Admin token" required autofocus />
          <div class="form-row">
            <button type="submit" class="primary">
              Sign in
            </button>
          </div>
        </form>
        <p class="fineprint">
          The token is kept in an HttpOnly cookie for this console only, for up to 12 hours or until you sign out.
        </p>
      </section>
    </Layout>,
    status,
  );
}

export function signInRoutes(services: Services) {
  return new Hono<ConsoleEnv>()
    .get('/sign-in', async (c) => {
      const session = readSession(c);
      if (session?.token && (await services.adminAccess.authenticate(session.token)).ok) {
        return c.redirect(paths.home, 303);
      }
      // The sign-in form gets its own CSRF token (login CSRF); reuse one a second tab already holds.
      const csrf = session && !session.token ? session.csrf : writeSession(c, null);
      const notice = c.req.query('notice');
      return signInPage(c, csrf, { notice: isNotice(notice) ? notice : undefined });
    })
    .post('/sign-in', async (c) => {
      const session = readSession(c);
      const form = await readForm(c);
      if (!session || !csrfMatches(session.csrf, form[CSRF_FIELD])) {
        const csrf = writeSession(c, null);
        return signInPage(c, csrf, { error: 'The sign-in form expired. Enter the token again.' }, 403);
      }
      const token = formText(form, 'token').trim();
      const actor = await services.adminAccess.authenticate(token);
      if (!actor.ok) return signInPage(c, session.csrf, { error: 'That admin token is not valid.' }, 401);
      // A fresh CSRF token with every new session, so nothing from before sign-in carries over.
      writeSession(c, token);
      return c.redirect(paths.home, 303);
    })
    .post('/sign-out', async (c) => {
      const session = readSession(c);
      if (session && !csrfMatches(session.csrf, (await readForm(c))[CSRF_FIELD])) {
        throw new ConsoleError(403, 'Request refused', 'The sign-out form did not carry this session’s CSRF token.');
      }
      clearSession(c);
      return c.redirect(`${paths.signIn}?notice=signed-out`, 303);
    });
}

/**
 * Admits requests that carry a valid admin token in the session cookie, and checks every POST's
 * CSRF token against the session's. Without a session: to the sign-in page.
 */
export function consoleSession(services: Services): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSession(c, next) {
    const session = readSession(c);
    if (!session?.token) return c.redirect(paths.signIn, 303);
    const actor = await services.adminAccess.authenticate(session.token);
    if (!actor.ok) {
      clearSession(c);
      return c.redirect(`${paths.signIn}?notice=ended`, 303);
    }
    c.set('actor', actor.value);
    c.set('csrf', session.csrf);
    if (c.req.method === 'POST' && !csrfMatches(session.csrf, (await readForm(c))[CSRF_FIELD])) {
      throw new ConsoleError(403, 'Request refused', 'This form did not carry the session’s CSRF token. Reload the page and try again.');
    }
    await next();
  };
}
