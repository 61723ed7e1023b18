// The Node entry point: loadConfig(process.env) → deps → createApp → node:http (runtime/node-server.ts; or, with
// KEYMINT_WORKERS > 1, a primary that forks that many such processes sharing the port).
import cluster from 'node:cluster';
import { createApp } from '../app.js';
import { ConfigError, describeDatabase, isPostgresUrl, loadConfig, type Config } from '../config.js';
import { openSqliteDatabase } from '../adapters/node/sqlite-database.js';
import type { Logger } from '../ports/runtime.js';
import { superviseWorkers } from './cluster.js';
import { createJsonLogger } from './logger.js';
import { createNodeDeps, WEBHOOK_POLL_MS } from './node-deps.js';
import { serveNode } from './node-server.js';
import { reloadServices } from './reload-services.js';
import { within } from '../shared/within.js';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`keymint: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createJsonLogger(undefined, { level: config.logLevel });
if (config.workers > 1 && cluster.isPrimary) {
  // Sessions, the issuance cache and rate limits must be shared by the workers; the in-process store is not.
  if (!config.redis) {
    process.stderr.write(
      'keymint: KEYMINT_WORKERS above 1 needs REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (the in-process session store is per process)\n',
    );
    process.exit(1);
  }
  // The workers open the database at once: a new SQLite file is migrated here first, so that two of them never run
  // its migrations side by side (the second CREATE TABLE failed, and with it the worker; PostgreSQL's migrations
  // take a lock of their own).
  if (!isPostgresUrl(config.database)) {
    try {
      openSqliteDatabase(config.database).close();
    } catch (error) {
      process.stderr.write(`keymint: cannot start on ${describeDatabase(config.database)}: ${(error as Error).message}\n`);
      process.exit(1);
    }
  }
  superviseWorkers(config.workers, logger);
} else {
  await serveHttp(config, logger);
}

async function serveHttp(config: Config, logger: Logger) {
  let node: Awaited<ReturnType<typeof createNodeDeps>>;
  try {
    node = await createNodeDeps(config, logger, undefined, { webhookDeliveries: { intervalMs: WEBHOOK_POLL_MS } });
  } catch (error) {
    // A database that cannot be reached or migrated (PostgreSQL down, a wrong password): one clear line.
    process.stderr.write(`keymint: cannot start on ${describeDatabase(config.database)}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const app = await createApp(node.deps);
  // Generates each environment's first signing key now rather than on the first token request.
  // A key that cannot be opened (a wrong KEYMINT_KEK) stops start-up here instead of failing every exchange.
  for (const environment of ['sandbox', 'production']) {
    const response = await app.request(`/${environment}/.well-known/jwks.json`);
    if (!response.ok) {
      process.stderr.write(`keymint: cannot load the ${environment} signing keys (see the error above)\n`);
      process.exit(1);
    }
  }

  const server = serveNode(app, config.port, (port) => {
    logger.info('keymint listening', { url: config.publicUrl, port, database: describeDatabase(config.database) });
    if (node.adminTokenFile) {
      // warn, not info: SPEC §5 wants the path shown, also when KEYMINT_LOG_LEVEL=warn.
      logger.warn('root admin token file (0600); use its content as Authorization: Bearer <token> on /admin/v1', {
        path: node.adminTokenFile,
      });
    }
  });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= node.close());
  function shutdown() {
    // Usage counts held in memory are written at once, not after the requests drain (which may outlast 5 s).
    void node.flushHeld();
    server.close(() => void close().then(() => process.exit(0)));
    // Requests still running after 5 s are cut off; what they counted is still written, within a second.
    setTimeout(() => void within(close().catch(() => {}), 1000, () => {}).finally(() => process.exit(0)), 5000).unref();
  }
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // The publicUrl stays the one the process started with: every issued token's iss and default aud name it.
  process.on('SIGHUP', () => reloadServices({ gateway: app.services.gateway, publicUrl: config.publicUrl, env: process.env, logger }));
}
