// keymint migrate: brings the local database's schema up to date (db/migrations), as every start does.
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { printJson, printLine } from '../output.js';

export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Apply the database migrations to the local database',
  required: [],
  optional: ['database', 'json'],
  async run({ options, env }) {
    const { loadGatewayConfig } = await import('../gateway-config.js');
    const { database } = loadGatewayConfig(env, options.database);
    const { migrateSqliteFile } = await import('../../adapters/node/sqlite-file.js');
    let applied: number;
    let total: number;
    try {
      ({ applied, total } = migrateSqliteFile(database));
    } catch (error) {
      throw new CliError('unreachable', `cannot open or migrate the database ${database}: ${(error as Error).message}`);
    }
    if (options.json) return printJson({ database, applied, total });
    printLine(
      applied > 0
        ? `applied ${applied} migration${applied === 1 ? '' : 's'} to ${database} (${total} in all)`
        : `${database} is up to date (${total} migrations)`,
    );
  },
};
