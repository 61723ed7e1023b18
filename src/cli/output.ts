// What commands print: JSON for scripts, or aligned fields and tables for people. Notes go to stderr.
import type { Key, KeyWithSecret } from './admin-client.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Something for the person at the terminal that is not the command's result (a warning, a reminder). */
export function note(line: string): void {
  process.stderr.write(`keymint: ${line}\n`);
}

export function printFields(fields: Array<[label: string, value: string]>): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) printLine(`${label.padEnd(width)}  ${value}`);
}

export function printTable(headers: string[], rows: string[][]): void {
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
    ['createdAt', key.createdAt ?? ''],
    ['lastUsedAt', orNever(key.lastUsedAt)],
  ]);
  if (secret) note('the application secret is shown this once: store it now');
}
