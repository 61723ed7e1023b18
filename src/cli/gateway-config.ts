// The gateway's configuration as the CLI sees it: the same KEYMINT_* variables, --database overriding KEYMINT_DATABASE.
import { ConfigError, loadConfig, type Config } from '../config.js';
import { CliError } from './errors.js';

/** Invalid variables leave nothing to open: exit 3, naming each variable. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv, database?: string): Config {
  try {
    return loadConfig({ ...env, ...(database !== undefined && { KEYMINT_DATABASE: database }) });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError('unreachable', error.message);
    throw error;
  }
}
