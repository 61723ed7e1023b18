// The Node runtime's logger: pino, JSON lines (pretty on a terminal), with secret-bearing fields redacted.
import { pino, type DestinationStream, type Level } from 'pino';
import type { Logger } from '../ports/runtime.js';

// Nothing in keymint logs these, by design; redaction is the second line of defence. A field of one of
// these names is censored at the top level and one level down (`headers.authorization`, `*.secret`).
// A client assertion, a DPoP proof and a token-exchange subject are credentials too (SPEC §8).
const SECRET_FIELDS = new Set([
  'authorization',
  'api-key',
  'client_secret',
  'client_assertion',
  'dpop',
  'subject_token',
  'actor_token',
  'token',
  'access_token',
  'applicationSecret',
  'secret',
]);
const CENSOR = '[redacted]';

function censorOneLevel(value: object): object | undefined {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    if (SECRET_FIELDS.has(key) && (value as Record<string, unknown>)[key] !== undefined) (copy ??= { ...value })[key] = CENSOR;
  }
  return copy;
}

/**
 * The fields of a log line with secret-named ones censored; a copy only when there is something to censor.
 * Done here rather than by pino's `redact` option, whose wildcard paths cost ~5 µs on every line (the access
 * log writes one per request); this covers the same paths and more.
 */
export function redactSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    let replaced: unknown = value;
    if (SECRET_FIELDS.has(key)) {
      if (value !== undefined) replaced = CENSOR;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      replaced = censorOneLevel(value) ?? value;
    }
    if (replaced !== value) (copy ??= { ...fields })[key] = replaced;
  }
  return copy ?? fields;
}

export interface LoggerOptions {
  level?: Level;
  /** Pretty, coloured lines (pino-pretty); defaults to whether stderr is a terminal. */
  pretty?: boolean;
}

/**
 * A Logger writing one JSON object per line. Without `write` it writes to stderr; tests pass
 * `write` to capture lines.
 */
export function createJsonLogger(write?: (line: string) => void, options: LoggerOptions = {}): Logger {
  const pretty = write === undefined && (options.pretty ?? process.stderr.isTTY === true);
  const destination: DestinationStream | undefined = write
    ? { write }
    : pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, messageKey: 'message' } })
      : // Synchronous: a line written before a crash or process.exit is never lost.
        pino.destination({ dest: 2, sync: true });
  const base = pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: redactSecrets },
    },
    destination,
  );
  const log = (level: 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
    base[level](fields ?? {}, message);
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
