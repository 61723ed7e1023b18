// The OpenAPI document covers every route the app serves, and real answers match the documented schemas.
import type { RouteConfig } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { routeLabel } from '../src/http/observability.js';
import { documentedRoutes } from '../src/http/openapi/routes.js';
import { basic, startGateway, type Gateway } from './support/gateway.js';

// Pages for people and the document itself are not API operations.
const UNDOCUMENTED = [/^\/console/, /^\/docs(\/assets\/|$)/, /^\/openapi\.json$/];

/** `/sandbox/oauth/token` → `/{env}/oauth/token`; `/sandbox/api/*` → `/{env}/api/{path}`. */
function openApiPath(honoPath: string): string {
  return routeLabel(honoPath)
    .replace(/\/\*$/, '/{path}')
    .replace(/\/api$/, '/api/{path}'); // the proxy root is the same operation with an empty rest path
}

function schemaFor(route: RouteConfig, status: number): z.ZodType | undefined {
  const response = route.responses[status] as { content?: Record<string, { schema: z.ZodType }> } | undefined;
  const content = response?.content;
  return content?.['application/json']?.schema ?? content?.['application/problem+json']?.schema;
}

describe('OpenAPI', () => {
  let gateway: Gateway;
  let document: {
    openapi: string;
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    components: { securitySchemes: Record<string, unknown> };
  };
  beforeAll(async () => {
    gateway = await startGateway({ env: { KEYMINT_UPSTREAM_SANDBOX: 'http://127.0.0.1:9' } });
    document = (await (await gateway.fetch('/openapi.json')).json()) as typeof document;
  });
  afterAll(() => gateway.close());

  it('is OpenAPI 3.1 and documents every route the app serves', () => {
    expect(document.openapi).toBe('3.1.0');
    const served = gateway.app.routes
      .filter((route) => route.method !== 'ALL' || /\/api(\/\*)?$/.test(route.path))
      .filter((route) => !UNDOCUMENTED.some((pattern) => pattern.test(route.path)))
      .filter((route) => !(route.method === 'ALL' && /\/oauth\//.test(route.path))) // the 405 answer to other methods
      .map((route) => ({ path: openApiPath(route.path), method: route.method === 'ALL' ? 'get' : route.method.toLowerCase() }));
    expect(served.length).toBeGreaterThan(20);
    const missing = served.filter(({ path, method }) => !document.paths[path]?.[method]);
    expect(missing).toEqual([]);
  });

  it('names only security schemes it defines, so a client generator can read every operation', () => {
    const named = Object.values(document.paths)
      .flatMap((operations) => Object.values(operations))
      .flatMap((operation) => operation.security ?? [])
      .flatMap((requirement) => Object.keys(requirement));
    expect(new Set(named)).toEqual(new Set(['adminToken', 'clientSecretBasic', 'sessionToken', 'dpop', 'apiKey']));
    for (const scheme of named) expect(document.components.securitySchemes).toHaveProperty(scheme);
  });

  it('serves an interactive reference at /docs', async () => {
    const response = await gateway.fetch('/docs');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('/openapi.json');
  });

  it('matches real answers, success and error, to their documented schemas', async () => {
    const checked = new Set<string>();
    async function check(method: string, path: string, init: RequestInit = {}) {
      const response = await gateway.fetch(path, { ...init, method });
      const template = Object.keys(document.paths).find((candidate) =>
        new RegExp(`^${candidate.replace(/\{path\}/, '.+').replace(/\{\w+\}/g, '[^/]+')}$`).test(path.split('?')[0]!),
      );
      const route = documentedRoutes.find(
        (candidate) => candidate.path === template && candidate.method === method.toLowerCase(),
      );
      expect(route, `${method} ${path} is documented`).toBeDefined();
      expect(Object.keys(route!.responses), `${method} ${path} documents ${response.status}`).toContain(String(response.status));
      const schema = schemaFor(route!, response.status);
      if (schema) {
        const body = await response.clone().json();
        const parsed = schema.safeParse(body);
        expect(parsed.success, `${method} ${path} → ${response.status}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      }
      checked.add(`${method} ${template} ${response.status}`);
      return response;
    }
    const admin = (body?: unknown) => ({
      headers: { authorization: `Bearer ${gateway.rootToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

    await check('GET', '/sandbox/.well-known/oauth-authorization-server');
    await check('GET', '/.well-known/oauth-authorization-server/production');
    await check('GET', '/sandbox/.well-known/jwks.json');
    await check('GET', '/healthz');
    await check('GET', '/readyz');

    const account = (await (await check('POST', '/admin/v1/accounts', admin({ name: 'Docs' }))).json()) as { id: string };
    await check('POST', '/admin/v1/accounts', admin({ nme: 'typo' }));
    await check('POST', '/admin/v1/accounts', { body: '{}' });
    await check('GET', `/admin/v1/accounts/${account.id}`, admin());
    const adminToken = (await (await check('POST', `/admin/v1/accounts/${account.id}/admin-tokens`, admin({ name: 'ops', role: 'viewer' }))).json()) as { id: string };
    await check('GET', '/admin/v1/accounts?limit=1', admin());
    await check('GET', `/admin/v1/accounts/${account.id}/admin-tokens`, admin());
    await check('DELETE', `/admin/v1/accounts/${account.id}/admin-tokens/${adminToken.id}`, admin());
    const keys = `/admin/v1/accounts/${account.id}/keys`;
    const key = (await (await check('POST', keys, admin({ environment: 'sandbox', name: 'k', scopes: ['a'] }))).json()) as {
      id: string;
      applicationId: string;
      applicationSecret: string;
    };
    await check('GET', `${keys}?limit=1`, admin());
    await check('GET', `${keys}/${key.id}`, admin());
    await check('GET', `${keys}/key_0000000000000000000000`, admin());
    await check('GET', `${keys}/${key.id}/usage?granularity=day`, admin());
    await check('PATCH', `${keys}/${key.id}`, admin({ name: 'renamed' }));
    await check('POST', `${keys}/${key.id}/disable`, admin());
    await check('POST', `${keys}/${key.id}/enable`, admin());
    await check('GET', `/admin/v1/accounts/${account.id}/operations`, admin());
    await check('GET', '/admin/v1/environments/sandbox/signing-keys', admin());
    await check('POST', '/admin/v1/environments/sandbox/signing-keys/rotate', admin());

    const form = (params: Record<string, string>, secret = key.applicationSecret) => ({
      headers: { authorization: basic(key.applicationId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    const token = ((await (await check('POST', '/sandbox/oauth/token', form({ grant_type: 'client_credentials' }))).json()) as {
      access_token: string;
    }).access_token;
    await check('POST', '/sandbox/oauth/token', form({ grant_type: 'password' }));
    await check('POST', '/sandbox/oauth/token', form({ grant_type: 'client_credentials' }, 'sk_sbx_wrong'));
    await check('POST', '/sandbox/oauth/introspect', form({ token }));
    await check('POST', '/sandbox/oauth/introspect', form({ token: 'garbage' }));
    await check('GET', '/sandbox/oauth/tokeninfo', { headers: { authorization: `Bearer ${token}` } });
    await check('GET', '/sandbox/oauth/tokeninfo', { headers: { authorization: 'Bearer nope' } });
    await check('POST', `${keys}/${key.id}/revoke-sessions`, admin());
    await check('POST', '/sandbox/oauth/revoke', form({ token }));
    const regenerated = await check('POST', `${keys}/${key.id}/regenerate`, admin());
    expect(regenerated.status).toBe(200);
    expect((await check('POST', `${keys}/${key.id}/regenerate`, admin({ overlapSeconds: 60 }))).status).toBe(200);
    expect((await check('POST', `${keys}/${key.id}/retire-previous`, admin())).status).toBe(200);
    const webhooks = `/admin/v1/accounts/${account.id}/webhooks`;
    const webhook = (await (await check('POST', webhooks, admin({ url: 'https://93.184.215.14/hook' }))).json()) as { id: string };
    await check('POST', webhooks, admin({ url: 'http://127.0.0.1/hook' }));
    await check('GET', webhooks, admin());
    await check('GET', `${webhooks}/${webhook.id}`, admin());
    await check('DELETE', `${keys}/${key.id}`, admin());
    await check('GET', `${webhooks}/${webhook.id}/deliveries?limit=1`, admin());
    await check('DELETE', `${webhooks}/${webhook.id}`, admin());
    await check('GET', `${webhooks}/${webhook.id}`, admin());

    // Every documented success answer of the admin and OAuth APIs was seen and matched.
    const documentedSuccesses = documentedRoutes.flatMap((route) =>
      Object.keys(route.responses)
        .filter((status) => status.startsWith('2'))
        .map((status) => `${route.method.toUpperCase()} ${route.path} ${status}`),
    );
    const unexercised = documentedSuccesses.filter(
      (entry) => !checked.has(entry) && !entry.includes('/api/{path}') && !entry.startsWith('GET /metrics'),
    );
    expect(unexercised).toEqual([]);
  });
});
