// The OpenAPI 3.1 document, generated from the zod schemas the routes validate with; served at /openapi.json.
import { OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';

export function buildOpenApiDocument(routes: RouteConfig[], publicUrl: string) {
  const generator = new OpenAPIHono();
  const registry = generator.openAPIRegistry;
  for (const route of routes) registry.registerPath(route);
  registry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The root admin token, or an account admin token (manager or viewer)',
  });
  registry.registerComponent('securitySchemes', 'clientSecretBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'Application ID and secret (client_secret_basic); client_secret_post in the body works too',
  });
  registry.registerComponent('securitySchemes', 'sessionToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A session token from /{env}/oauth/token',
  });
  return generator.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'keymint',
      version: '1',
      description:
        'Token-exchange gateway: API access keys in, short-lived signed session tokens out. ' +
        'OAuth endpoints answer RFC 6749 errors; the admin API answers RFC 9457 problem details.',
    },
    servers: [{ url: publicUrl }],
  });
}
