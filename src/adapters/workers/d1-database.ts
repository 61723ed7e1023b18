// Opens a D1 binding through drizzle; atomic writes go through D1's batch() (it has no interactive transactions).
import type { SQLWrapper } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import * as schema from '../../../db/schema.js';
import { errorChain, type SqlExecutor, type SqliteDatabase } from '../sql/sql-store.js';

/** The D1 binding (`D1Database`), named through drizzle so this file also compiles without the Worker types. */
export type D1Binding = Parameters<typeof drizzle>[0];

export interface D1Handle extends SqlExecutor {
  /** Rejects when D1 cannot answer (behind /readyz). */
  ping(): Promise<void>;
}

// What D1 says when the statement itself was wrong (a constraint, a typo, a missing table or column); every
// other D1 error — "Network connection lost", "D1 DB is overloaded", a reset or restarting database, an
// exceeded storage timeout, an internal error — means D1 cannot serve the database right now.
const STATEMENT_FAULT = /SQLITE_(CONSTRAINT|ERROR|MISMATCH|RANGE|TOOBIG)|constraint failed|syntax error|no such (table|column)|D1_(TYPE_ERROR|COLUMN_NOTFOUND|EXEC_ERROR)/;

/** Whether D1 (or drizzle around it) failed because D1 is unavailable, not because of the statement. */
export function isD1Outage(error: unknown): boolean {
  // drizzle's own wrapper ("Failed query: …") says nothing about the cause; the driver's error, last, does.
  const cause = errorChain(error).at(-1);
  // D1 rejects with plain Errors; a TypeError or SyntaxError (JSON.parse) is a bug of ours, not an outage.
  if (!(cause instanceof Error) || cause.name !== 'Error') return false;
  return !STATEMENT_FAULT.test(cause.message);
}

export function openD1Database(binding: D1Binding): D1Handle {
  const db = drizzle(binding, { schema });
  const dialect = new SQLiteAsyncDialect();
  return {
    db: db as unknown as SqliteDatabase,
    store: 'd1',
    isOutage: isD1Outage,
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
