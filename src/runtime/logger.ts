// The Node runtime's logger: pino, JSON lines (pretty on a terminal), with secret-bearing fields redacted.
import { pino, type DestinationStream, type Level } from 'pino';
import type { Logger } from '../ports/runtime.js';

// Nothing in keymint logs these, by design; redaction is the second line of defence.
const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["api-key"]',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'applicationSecret',
  '*.applicationSecret',
  'secret',
  '*.secret',
];

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
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  const log = (level: 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
    base[level](fields ?? {}, message);
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
