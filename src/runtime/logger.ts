// A JSON-lines logger for the Node runtime.
import type { Logger } from '../ports/runtime.js';

type Level = 'info' | 'warn' | 'error';

export function createJsonLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log = (level: Level) => (message: string, fields?: Record<string, unknown>) =>
    write(`${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`);
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
