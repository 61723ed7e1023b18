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
    description:
      'Application ID and secret (client_secret_basic). The empty alternative is a credential in the body: client_id + ' +
      'client_secret (client_secret_post), or client_assertion_type + client_assertion (private_key_jwt, RFC 7523)',
  });
  registry.registerComponent('securitySchemes', 'sessionToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A session token from /{env}/oauth/token',
  });
  registry.registerComponent('securitySchemes', 'dpop', {
    type: 'http',
    scheme: 'DPoP',
    description: 'A DPoP-bound session token (RFC 9449): Authorization: DPoP <token> with a DPoP proof header for this request',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'Api-Key',
    description: "Authorization: Api-Key <application secret>: the proxy only, when KEYMINT_DIRECT_KEY_AUTH is on",
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
