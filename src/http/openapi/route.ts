// createRoute without loading @hono/zod-openapi: a route's documentation is plain data beside its handler,
// and the generator (zod-to-openapi, ~140 ms to import) loads only when /openapi.json is first asked for.
import type { RouteConfig } from '@hono/zod-openapi';

export function createRoute<const R extends RouteConfig>(route: R): R {
  return route;
}
