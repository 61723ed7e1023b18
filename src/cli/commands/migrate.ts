// keymint migrate: brings the local database's schema up to date (db/migrations for SQLite, db/pg-migrations for
// PostgreSQL, under the advisory lock every node's start takes), as every start does.
import { describeDatabase, isPostgresUrl } from '../../config.js';
import type { Command } from '../command.js';
import { CliError, withoutPassword } from '../errors.js';
import { printJson, printLine } from '../output.js';

export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Apply the database migrations to the local database (a SQLite file or PostgreSQL)',
  required: [],
  optional: ['database', 'json'],
  async run({ options, env }) {
    const { applied, total, database } = isPostgresUrl(options.database ?? env.KEYMINT_DATABASE ?? '')
      ? await migratePostgresDatabase(options.database ?? env.KEYMINT_DATABASE!)
      : await migrateSqliteDatabase(env, options.database);
    if (options.json) return printJson({ database, applied, total });
    printLine(
      applied > 0
        ? `applied ${applied} migration${applied === 1 ? '' : 's'} to ${database} (${total} in all)`
        : `${database} is up to date (${total} migrations)`,
    );
  },
};

async function migrateSqliteDatabase(env: NodeJS.ProcessEnv, override: string | undefined) {
  const { loadGatewayConfig } = await import('../gateway-config.js');
  const { database } = loadGatewayConfig(env, override);
  const { migrateSqliteFile } = await import('../../adapters/node/sqlite-file.js');
  try {
    return { ...migrateSqliteFile(database), database };
  } catch (error) {
    throw new CliError('unreachable', `cannot open or migrate the database ${database}: ${(error as Error).message}`);
  }
}

/**
 * Migrating needs only the URL (not the token, pepper and Redis a PostgreSQL gateway must have), so a deployment
 * can migrate before its first node starts. Nodes starting meanwhile wait for the same lock. The URL is shown,
 * and any message quoting it is, with its password masked.
 */
async function migratePostgresDatabase(url: string) {
  const database = describeDatabase(url);
  const { migratePostgres } = await import('../../adapters/postgres/postgres-database.js');
  try {
    return { ...(await migratePostgres(url)), database };
  } catch (error) {
    throw new CliError('unreachable', `cannot migrate the database ${database}: ${withoutPassword((error as Error).message, url)}`);
  }
}
