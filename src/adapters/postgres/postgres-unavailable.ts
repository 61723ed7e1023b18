// When the PostgreSQL stores could not reach PostgreSQL (refused, dropped, shut down), as opposed to a query it refused.
import { StoreUnavailableError } from '../../ports/store-errors.js';

// Socket errors, and postgres.js's own codes for a connection it lost or could not open.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

// SQLSTATEs of a server that is going away or not taking connections: class 08 (connection exception),
// admin/crash shutdown, starting up or shutting down, and too many connections.
const UNAVAILABLE_STATES = /^(08...|57P01|57P02|57P03|53300)$/;

/**
 * The driver error inside `error` (drizzle wraps driver errors) that says the database is out of reach, if
 * any. Its message is the driver's alone: drizzle's wrapper would add the query and its parameters.
 */
export function unreachableCause(error: unknown): Error | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_STATES.test(code))) return current;
  }
  return undefined;
}

/** Runs a store operation, turning "cannot reach PostgreSQL" into StoreUnavailableError('postgres'); other errors pass. */
export async function reachPostgres<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const cause = error instanceof StoreUnavailableError ? undefined : unreachableCause(error);
    if (!cause) throw error;
    // The driver's message alone: drizzle's wrapper would add the query and its parameters.
    throw new StoreUnavailableError('postgres', `unreachable: ${cause.message}`, { cause });
  }
}
