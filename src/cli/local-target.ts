// The local target: the gateway's own app in process over KEYMINT_DATABASE, called with the resolved root admin token,
// so the CLI goes through the same validation and audit log as the admin API (actor `root`).
import { existsSync } from 'node:fs';
import { localSecretPath } from '../adapters/node/local-secrets.js';
import { inspectSqliteFile } from '../adapters/node/sqlite-file.js';
import { createApp } from '../app.js';
import { describeDatabase, type Config } from '../config.js';
import type { Logger } from '../ports/runtime.js';
import { createNodeDeps, PEPPER_FILE } from '../runtime/node-deps.js';
import { createAdminClient } from './admin-client.js';
import { CliError, withoutPassword } from './errors.js';
import { loadGatewayConfig } from './gateway-config.js';
import type { AdminTarget } from './target.js';

// The in-process app never sees this host; it only makes the requests well-formed.
const IN_PROCESS_URL = 'http://keymint.local';

// The gateway's start-up warnings (no Redis, no KEK) are noise for a one-shot command; errors still show.
const commandLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: (message, fields) => process.stderr.write(`keymint: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
};

export async function openLocalTarget(env: NodeJS.ProcessEnv, database?: string): Promise<AdminTarget> {
  const config = loadGatewayConfig(env, database);
  refuseUnknownPepper(config);
  let node: Awaited<ReturnType<typeof createNodeDeps>>;
  try {
    node = await createNodeDeps(config, commandLogger);
  } catch (error) {
    throw new CliError(
      'unreachable',
      `cannot open the database ${describeDatabase(config.database)}: ${withoutPassword((error as Error).message, config.database)}`,
    );
  }
  const app = await createApp(node.deps);
  return {
    client: createAdminClient(async (request) => app.fetch(request), IN_PROCESS_URL, node.deps.rootAdminToken),
    local: { config },
    close: () => node.close(),
  };
}

/**
 * Keys hashed with a pepper this process lacks (the gateway's KEYMINT_SECRET_PEPPER, not set here) would be created
 * unusable, and a new pepper file would be written beside them: refuse instead.
 */
function refuseUnknownPepper(config: Config): void {
  if (config.secretPepper !== undefined) return;
  const pepperFile = localSecretPath(config.database, PEPPER_FILE);
  if (existsSync(pepperFile)) return;
  if (!inspectSqliteFile(config.database)?.holdsHashedSecrets) return;
  throw new CliError(
    'unreachable',
    `${config.database} holds secrets hashed with a pepper that is neither in KEYMINT_SECRET_PEPPER nor in ${pepperFile}; ` +
      'run the CLI with the gateway’s KEYMINT_SECRET_PEPPER',
  );
}
