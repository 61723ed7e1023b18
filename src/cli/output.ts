// What commands print: JSON for scripts, or aligned fields and tables for people. Notes go to stderr.
import { escapeUnsafeCharacters } from '../core/names.js';
import type { Key, KeyWithSecret } from './admin-client.js';

const hex = (codePoint: number, width: number) => codePoint.toString(16).toUpperCase().padStart(width, '0');

/**
 * Text for the operator's terminal: control and bidirectional formatting characters (a name stored before
 * names were checked may hold ESC, CR or U+202E) are shown as `\x1B` / `\u202E` rather than obeyed.
 */
export function terminalText(text: string): string {
  return escapeUnsafeCharacters(text, (codePoint) => (codePoint < 0x100 ? `\\x${hex(codePoint, 2)}` : `\\u${hex(codePoint, 4)}`));
}

/**
 * JSON for scripts. JSON.stringify escapes C0 controls inside strings but leaves DEL, C1 and bidi controls raw:
 * those become `\uXXXX` escapes too (the same value, nothing a terminal obeys); the line breaks between
 * tokens, the only C0 characters left, stay.
 */
export function printJson(value: unknown): void {
  const text = escapeUnsafeCharacters(JSON.stringify(value, null, 2), (codePoint) =>
    codePoint < 0x20 ? String.fromCodePoint(codePoint) : `\\u${hex(codePoint, 4)}`,
  );
  process.stdout.write(`${text}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${terminalText(line)}\n`);
}

/** Something for the person at the terminal that is not the command's result (a warning, a reminder). */
export function note(line: string): void {
  process.stderr.write(`keymint: ${terminalText(line)}\n`);
}

export function printFields(fields: Array<[label: string, value: string]>): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) printLine(`${label.padEnd(width)}  ${value}`);
}

export function printTable(headers: string[], unescaped: string[][]): void {
  // Escaped before measuring, so the columns line up with what is printed.
  const rows = unescaped.map((row) => row.map(terminalText));
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  printLine(line(headers));
  for (const row of rows) printLine(line(row));
}

const orNever = (value: string | null) => value ?? 'never';
export const scopeList = (scopes: string[]) => (scopes.length ? scopes.join(' ') : '-');

export function printKey(key: Key | KeyWithSecret): void {
  const secret = 'applicationSecret' in key;
  printFields([
    ['id', key.id],
    ['account', key.accountId],
    ['environment', key.environment],
    ['name', key.name],
    ['applicationId', key.applicationId],
    secret ? ['applicationSecret', key.applicationSecret] : ['secretHint', `…${key.secretHint}`],
    ['scopes', scopeList(key.scopes)],
    ['status', key.status],
    ['expiresAt', orNever(key.expiresAt)],
    ['rateLimit', key.rateLimit ? `${key.rateLimit.requests} per ${key.rateLimit.windowSeconds} s` : 'none'],
    ['quota', key.quota ? `${key.quota.requests} per UTC ${key.quota.period}` : 'none'],
    ['tokenRateLimit', key.tokenRateLimit ? `${key.tokenRateLimit.requests} per ${key.tokenRateLimit.windowSeconds} s` : 'none'],
    ['createdAt', key.createdAt ?? ''],
    ['lastUsedAt', orNever(key.lastUsedAt)],
    ...(key.previous
      ? ([
          ['previous', `${key.previous.applicationId} (…${key.previous.secretHint}) mints until ${key.previous.expiresAt}`],
          ['previous.lastUsedAt', orNever(key.previous.lastUsedAt)],
        ] as Array<[string, string]>)
      : []),
  ]);
  if (secret) note('the application secret is shown this once: store it now');
}
