// Finds a folder of generated migrations under db/ from the module that needs it, wherever the code runs from.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * db/<folder> (`migrations` for SQLite, `pg-migrations` for PostgreSQL), found from `from` upwards: three
 * levels up from src/adapters/<name> (tsx), from dist/src/adapters/<name> (tsc, which copies db/ to
 * dist/db), or beside the bundle npm start runs (dist/server).
 */
export function findMigrationsFolder(folder: 'migrations' | 'pg-migrations', from: string): string {
  for (let dir = from, level = 0; level < 4; dir = dirname(dir), level++) {
    const candidate = join(dir, 'db', folder);
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
  }
  throw new Error(`db/${folder} not found above ${from}`);
}
