// The SQLite and PostgreSQL schemas hold the same tables with the same meaning (SPEC §6): same columns,
// nullability, keys, indexes and foreign keys, text where text and whole numbers where whole numbers.
import { getTableName, is, SQL, type Table } from 'drizzle-orm';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pg from '../db/pg/schema.js';
import * as sqlite from '../db/schema.js';

function tables(schema: Record<string, unknown>): Map<string, Table> {
  return new Map(
    Object.values(schema)
      .filter((value): value is Table => is(value, PgTable) || is(value, SQLiteTable))
      .map((table) => [getTableName(table), table]),
  );
}

function sqlText(where: SQL | undefined): string | undefined {
  return where?.queryChunks.map((chunk) => (typeof chunk === 'object' && chunk && 'value' in chunk ? String(chunk.value) : '')).join('');
}

/** A dialect-neutral description of a table. */
function describeTable(table: Table) {
  const config = is(table, PgTable) ? pgTableConfig(table) : sqliteTableConfig(table as SQLiteTable);
  return {
    columns: config.columns
      .map((column) => ({
        name: column.name,
        // SQLite's integer and PostgreSQL's bigint both hold epoch milliseconds; text is text (collation aside).
        kind: /int/i.test(column.getSQLType()) ? 'integer' : /^text/i.test(column.getSQLType()) ? 'text' : column.getSQLType(),
        notNull: column.notNull,
        primary: column.primary,
        hasDefault: column.hasDefault,
        enumValues: column.enumValues ?? null,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    indexes: config.indexes
      .map(({ config: index }) => ({
        name: index.name,
        unique: index.unique,
        columns: index.columns.map((column) => ('name' in column ? column.name : '?')),
        where: sqlText(index.where),
      }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    foreignKeys: config.foreignKeys
      .map((foreignKey) => {
        const reference = foreignKey.reference();
        return `${reference.columns.map((c) => c.name).join()} → ${getTableName(reference.foreignTable)}(${reference.foreignColumns.map((c) => c.name).join()})`;
      })
      .sort(),
  };
}

describe('the two database schemas', () => {
  const sqliteTables = tables(sqlite);
  const pgTables = tables(pg);

  it('declare the same tables', () => {
    expect([...pgTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
    expect(sqliteTables.size).toBeGreaterThanOrEqual(5);
  });

  for (const name of tables(sqlite).keys()) {
    it(`declare ${name} alike`, () => {
      const inSqlite = describeTable(sqliteTables.get(name)!);
      const inPg = describeTable(pgTables.get(name)!);
      // SQLite enums are typed in TypeScript only (no CHECK), as are PostgreSQL's `$type`s: compare the rest.
      const withoutEnums = (description: ReturnType<typeof describeTable>) => ({
        ...description,
        columns: description.columns.map(({ enumValues: _, ...column }) => column),
      });
      expect(withoutEnums(inPg)).toEqual(withoutEnums(inSqlite));
    });
  }

  it('store every time as whole milliseconds, and every PostgreSQL text byte-ordered', () => {
    for (const table of pgTables.values()) {
      for (const column of pgTableConfig(table as PgTable).columns) {
        const type = column.getSQLType();
        expect([`text collate "C"`, 'bigint'], `${getTableName(table)}.${column.name}`).toContain(type);
        if (type === 'bigint') expect(column.columnType, column.name).toBe('PgBigInt53');
      }
    }
  });
});
