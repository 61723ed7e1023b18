// keymint migrate: brings the local database's schema up to date (db/migrations), as every start does.
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { printJson, printLine } from '../output.js';
import { peekDatabase } from '../peek-database.js';

/** How many migrations drizzle has recorded as applied; 0 for a database not created or not migrated yet. */
const countAppliedMigrations = async (path: string) =>
  (await peekDatabase<{ applied: number }>(path, 'select count(*) as applied from __drizzle_migrations'))?.applied ?? 0;

export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Apply the database migrations to the local database',
  required: [],
  optional: ['database', 'json'],
  async run({ options, env }) {
    const { loadGatewayConfig } = await import('../gateway-config.js');
    const { database } = loadGatewayConfig(env, options.database);
    const before = await countAppliedMigrations(database);
    const { openSqliteDatabase } = await import('../../adapters/node/sqlite-database.js');
    try {
      openSqliteDatabase(database).close();
    } catch (error) {
      throw new CliError('unreachable', `cannot open or migrate the database ${database}: ${(error as Error).message}`);
    }
    const total = await countAppliedMigrations(database);
    const applied = total - before;
    if (options.json) return printJson({ database, applied, total });
    printLine(
      applied > 0
        ? `applied ${applied} migration${applied === 1 ? '' : 's'} to ${database} (${total} in all)`
        : `${database} is up to date (${total} migrations)`,
    );
  },
};
