// A JSON logger for Workers: one console call per entry, at the matching level, so Workers Logs can filter it.
import type { Logger } from '../../ports/runtime.js';

export function createConsoleLogger(): Logger {
  const log =
    (level: 'info' | 'warn' | 'error', write: (line: string) => void) =>
    (message: string, fields?: Record<string, unknown>) =>
      write(JSON.stringify({ level, message, ...fields }));
  return {
    info: log('info', (line) => console.info(line)),
    warn: log('warn', (line) => console.warn(line)),
    error: log('error', (line) => console.error(line)),
  };
}
