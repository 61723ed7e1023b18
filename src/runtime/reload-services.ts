// Config reload on SIGHUP (SPEC §7): the proxy's services are read again (KEYMINT_ROUTES_FILE, with the variables
// this process started with) and swapped in whole; requests in flight keep the table they began with. An invalid
// new configuration is logged and the one in force kept. Other settings need a restart.
import { ConfigError, loadConfig } from '../config.js';
import { createGatewayRoutes, type GatewayRouting } from '../core/gateway.js';
import type { Logger } from '../ports/runtime.js';
import { ENVIRONMENTS } from '../shared/domain.js';

/** Reads the services again and swaps them in; true when the new table is in force. */
export function reloadServices(deps: { gateway: GatewayRouting; publicUrl: string; env: Record<string, unknown>; logger: Logger }): boolean {
  let routes;
  try {
    const config = loadConfig(deps.env);
    routes = createGatewayRoutes(config.services, deps.publicUrl);
  } catch (error) {
    // ConfigError names each bad variable and field; TypeError is an audience two services claim.
    if (!(error instanceof ConfigError) && !(error instanceof TypeError)) throw error;
    deps.logger.error('configuration reload refused; the services in force stay', { error: error.message });
    return false;
  }
  deps.gateway.replace(routes);
  const services = Object.fromEntries(ENVIRONMENTS.map((environment) => [environment, routes[environment].matcher.services.map((service) => service.name)]));
  deps.logger.info('services reloaded', { services });
  return true;
}
