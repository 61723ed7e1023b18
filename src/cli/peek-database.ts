// One read-only query on a database file as it is, before anything opens (and migrates) it.
import { existsSync } from 'node:fs';

/** The query's first row, or `undefined` when the file does not exist or lacks the table (not migrated yet). */
export async function peekDatabase<Row>(path: string, query: string): Promise<Row | undefined> {
  if (path === ':memory:' || !existsSync(path)) return undefined;
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return sqlite.prepare(query).get() as Row | undefined;
  } catch {
    return undefined;
  } finally {
    sqlite.close();
  }
}
