/** @jsxImportSource hono/jsx */
// The console's one error handler: every failure becomes an HTML page with the right status, never JSON.
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import type { Services } from '../services.js';
import { ConsoleError, renderPage, type ConsoleEnv } from './context.js';
import { Layout } from './layout.js';
import { paths } from './paths.js';

function consoleErrorOf(error: Error, services: Services, c: Context): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof HTTPException && error.status < 500) {
    const status = error.status as ContentfulStatusCode;
    switch (status) {
      case 403:
        // hono/csrf: the POST came from another origin (or from a client that names none).
        return new ConsoleError(403, 'Request refused', 'This form was not sent from a keymint console page. Reload the page and try again.');
      case 413:
        return new ConsoleError(413, 'Too much data', 'The form sent more data than the console accepts.');
      default:
        return new ConsoleError(status, 'Bad request', error.message || 'The console could not read that request.');
    }
  }
  if (error instanceof StoreUnavailableError) {
    services.logger.warn(`${error.role} unavailable`, { path: c.req.path, error: error.message });
    const role = error.role === 'database' ? 'The database' : 'The session store';
    return new ConsoleError(503, 'Temporarily unavailable', `${role} is unavailable; nothing was changed. Retry shortly.`);
  }
  services.logger.error('unhandled console error', {
    method: c.req.method,
    path: c.req.path,
    error: String(error.stack ?? error),
  });
  return new ConsoleError(500, 'Something went wrong', 'The console hit an internal error; the details are in the server log.');
}

export function consoleErrorHandler(services: Services): ErrorHandler<ConsoleEnv> {
  return function renderConsoleError(error, c) {
    const shown = consoleErrorOf(error, services, c);
    // Set only once a session was read; an error before that shows the bare page.
    const actor = c.get('actor');
    const csrf = c.get('csrf');
    const account = c.get('account');
    if (shown.status === 503) c.header('Retry-After', '1');
    return renderPage(
      c,
      <Layout title={shown.title} chrome={{ actor, csrf, account }}>
        <section class="panel narrow">
          <h1>{shown.title}</h1>
          <p>{shown.detail}</p>
          <p>
            <a href={actor ? paths.home : paths.signIn}>Back to the console</a>
          </p>
        </section>
      </Layout>,
      shown.status,
    );
  };
}
