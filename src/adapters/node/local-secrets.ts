// Secrets the operator did not configure, generated once and kept in 0600 files beside the database.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBase62 } from '../../shared/encoding.js';

export interface LocalSecret {
  value: string;
  /** Where it was written, when it was generated or read from a file. */
  path?: string;
  generated: boolean;
}

/** Where an unconfigured secret is kept: beside the database file (in the working directory for `:memory:`). */
export function localSecretPath(databasePath: string, fileName: string): string {
  const directory = databasePath === ':memory:' ? process.cwd() : dirname(resolve(databasePath));
  return join(directory, fileName);
}

/** The configured value, else the one stored in `<database dir>/<fileName>`, else a new one written there. */
export function resolveLocalSecret(
  configured: string | undefined,
  databasePath: string,
  fileName: string,
  generate: () => string = () => randomBase62(48),
): LocalSecret {
  if (configured !== undefined) return { value: configured, generated: false };
  const path = localSecretPath(databasePath, fileName);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), path, generated: false };
  const value = generate();
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process starting on the same directory wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: readFileSync(path, 'utf8').trim(), path, generated: false };
  }
  return { value, path, generated: true };
}
