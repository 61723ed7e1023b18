// Opens a D1 binding through drizzle; atomic writes go through D1's batch() (it has no interactive transactions).
import type { SQLWrapper } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import * as schema from '../../../db/schema.js';
import type { SqlExecutor, SqliteDatabase } from '../sql/sql-store.js';

/** The D1 binding (`D1Database`), named through drizzle so this file also compiles without the Worker types. */
export type D1Binding = Parameters<typeof drizzle>[0];

export interface D1Handle extends SqlExecutor {
  /** Rejects when D1 cannot answer (behind /readyz). */
  ping(): Promise<void>;
}

export function openD1Database(binding: D1Binding): D1Handle {
  const db = drizzle(binding, { schema });
  const dialect = new SQLiteAsyncDialect();
  return {
    db: db as unknown as SqliteDatabase,
    ping: async () => void (await binding.prepare('select 1').first()),
    async atomic(statements: SQLWrapper[]) {
      if (statements.length === 0) return [];
      // D1 runs a batch as one implicit transaction: every statement commits, or none does.
      // (drizzle's own db.batch() cannot take raw SQL with parameters, so the statements go to D1 directly.)
      const prepared = statements.map((statement) => {
        const query = dialect.sqlToQuery(statement.getSQL());
        return binding.prepare(query.sql).bind(...query.params);
      });
      const results = await binding.batch(prepared);
      return results.map((result: { meta: { changes: number } }) => result.meta.changes);
    },
  };
}
