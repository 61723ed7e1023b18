// The same 401/403/404 suite for every admin route (SPEC §4 errors): who may call it, and that keys of
// other accounts are "not found", never "forbidden". The routes come from the API's own documentation.
import type { RouteConfig } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type { Environment } from '../../src/shared/domain.js';
import type { ApiKeyWithSecret, Gateway } from './gateway.js';

/** Who a route admits: the root token alone, root + managers, or root + managers + viewers. */
export type AdminPermission = 'root' | 'manage' | 'read';

export interface RouteIds {
  accountId: string;
  keyId: string;
  environment: Environment;
  /** An admin token of the account (the viewer's): a refused DELETE must leave it working. */
  tokenId: string;
  /** A webhook of the account: a refused DELETE must leave it in place. */
  webhookId: string;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** For the test names, e.g. `/accounts/{accountId}/keys/{keyId}`. */
  template: string;
  path(ids: RouteIds): string;
  body?: unknown;
  permission: AdminPermission;
  /** The route addresses one key, so it must answer 404 for a key of another account. */
  keyed?: boolean;
  /** The route addresses one webhook, so it must answer 404 for a webhook of another account. */
  webhooked?: boolean;
}

const ADMIN_PREFIX = '/admin/v1';

/**
 * Every documented admin route as the suite calls it: who may call it from its OpenAPI roles, a body from its
 * documented example (a refused call must be one that would have changed something), and whether it names a key.
 */
export function adminRoutesFromDocs(routes: readonly RouteConfig[]): AdminRoute[] {
  return routes
    .filter((route) => route.path.startsWith(`${ADMIN_PREFIX}/`))
    .map((route) => {
      const where = `${route.method.toUpperCase()} ${route.path}`;
      const roles = (route.security ?? []).flatMap((requirement) => requirement.adminToken ?? []);
      if (!roles.includes('root')) throw new Error(`${where}: its security lists no admin roles`);
      const media = route.request?.body?.content['application/json'] as { schema?: z.ZodType } | undefined;
      const schema = media?.schema;
      const body = (schema?.meta()?.examples as unknown[] | undefined)?.[0];
      if (schema && body === undefined) throw new Error(`${where}: its JSON body documents no example to call it with`);
      const template = route.path.slice(ADMIN_PREFIX.length);
      return {
        method: route.method.toUpperCase() as AdminRoute['method'],
        template,
        path(ids: RouteIds) {
          const path = template
            .replace('{accountId}', ids.accountId)
            .replace('{keyId}', ids.keyId)
            .replace('{env}', ids.environment)
            .replace('{tokenId}', ids.tokenId)
            .replace('{webhookId}', ids.webhookId);
          if (path.includes('{')) throw new Error(`${where}: a path parameter the suite cannot fill`);
          return path;
        },
        body,
        permission: roles.includes('viewer') ? 'read' : roles.includes('manager') ? 'manage' : 'root',
        keyed: template.includes('{keyId}'),
        webhooked: template.includes('{webhookId}'),
      };
    });
}

export interface AdminAuthFixture {
  gateway: Gateway;
  /** The account under test, a key of it, and its admin tokens. */
  accountId: string;
  key: ApiKeyWithSecret;
  managerToken: string;
  viewerToken: string;
  viewerTokenId: string;
  webhookId: string;
  /** Another account: its manager token, one of its keys and one of its webhooks. */
  otherManagerToken: string;
  otherKey: ApiKeyWithSecret;
  otherWebhookId: string;
}

/** Asserts an RFC 9457 problem response with `status`; returns its body. */
export async function expectProblem(response: Response, status: number): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  return body;
}

/** Creates an account admin token with the root token; returns the token shown once. */
export async function createAdminToken(gateway: Gateway, accountId: string, role: 'manager' | 'viewer'): Promise<string> {
  return (await createAdminTokenWithId(gateway, accountId, role)).token;
}

/** `createAdminToken`, with the token's id. */
export async function createAdminTokenWithId(
  gateway: Gateway,
  accountId: string,
  role: 'manager' | 'viewer',
  name = `${role} token`,
): Promise<{ id: string; token: string }> {
  const response = await gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name, role });
  if (response.status !== 201) throw new Error(`createAdminToken: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; token: string };
}

/** Adds a webhook to the account with the root token (a public IP address: nothing to resolve); returns its id. */
export async function createWebhookId(gateway: Gateway, accountId: string): Promise<string> {
  const response = await gateway.admin('POST', `/accounts/${accountId}/webhooks`, { url: 'https://93.184.215.14/keymint' });
  if (response.status !== 201) throw new Error(`createWebhook: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

export async function createAdminAuthFixture(gateway: Gateway): Promise<AdminAuthFixture> {
  const account = await gateway.createAccount('Audited');
  const other = await gateway.createAccount('Neighbour');
  const key = await gateway.createKey(account.id, { environment: 'sandbox', scopes: ['a'] });
  const managerToken = await createAdminToken(gateway, account.id, 'manager');
  const viewer = await createAdminTokenWithId(gateway, account.id, 'viewer');
  return {
    gateway,
    accountId: account.id,
    key,
    managerToken,
    viewerToken: viewer.token,
    viewerTokenId: viewer.id,
    webhookId: await createWebhookId(gateway, account.id),
    otherManagerToken: await createAdminToken(gateway, other.id, 'manager'),
    otherKey: await gateway.createKey(other.id, { environment: 'sandbox', scopes: ['a'] }),
    otherWebhookId: await createWebhookId(gateway, other.id),
  };
}

function call(fixture: AdminAuthFixture, route: AdminRoute, ids: RouteIds, authorization: string | undefined) {
  return fixture.gateway.fetch(`/admin/v1${route.path(ids)}`, {
    method: route.method,
    headers: {
      ...(authorization !== undefined && { authorization }),
      ...(route.body !== undefined && { 'content-type': 'application/json' }),
    },
    body: route.body === undefined ? undefined : JSON.stringify(route.body),
  });
}

/** Registers the auth-failure tests of every route; `fixture()` is read when the tests run. */
export function describeAdminAuth(fixture: () => AdminAuthFixture, routes: AdminRoute[]): void {
  const own = (): RouteIds => ({
    accountId: fixture().accountId,
    keyId: fixture().key.id,
    environment: 'sandbox',
    tokenId: fixture().viewerTokenId,
    webhookId: fixture().webhookId,
  });

  describe.each(routes)('$method $template', (route) => {
    it('answers 401 problem JSON without an Authorization header', async () => {
      const response = await call(fixture(), route, own(), undefined);
      await expectProblem(response, 401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    });

    it.each([
      ['an unknown admin token', 'Bearer kmat_NotARealTokenNotARealTokenNotARealToken123'],
      ['a malformed Authorization header', 'Basic YWRtaW46YWRtaW4='],
      ["an application secret instead of an admin token", () => `Bearer ${fixture().key.applicationSecret}`],
    ])('answers 401 problem JSON with %s', async (_, header) => {
      const response = await call(fixture(), route, own(), typeof header === 'function' ? header() : header);
      await expectProblem(response, 401);
    });

    if (route.permission !== 'read') {
      it('answers 403 problem JSON to a viewer of the account', async () => {
        await expectProblem(await call(fixture(), route, own(), `Bearer ${fixture().viewerToken}`), 403);
      });
    }

    if (route.permission === 'root') {
      it('answers 403 problem JSON to a manager of the account', async () => {
        await expectProblem(await call(fixture(), route, own(), `Bearer ${fixture().managerToken}`), 403);
      });
    }

    it("answers 403 problem JSON to another account's admin token", async () => {
      await expectProblem(await call(fixture(), route, own(), `Bearer ${fixture().otherManagerToken}`), 403);
    });

    if (route.keyed) {
      const permittedAdmin = route.permission === 'read' ? 'viewer' : 'manager';
      it.each(['root', permittedAdmin] as const)(
        'answers 404 (not 403) to %s for a key of another account',
        async (who) => {
          const f = fixture();
          const token = who === 'root' ? f.gateway.rootToken : who === 'viewer' ? f.viewerToken : f.managerToken;
          const ids = { ...own(), keyId: f.otherKey.id };
          await expectProblem(await call(f, route, ids, `Bearer ${token}`), 404);
        },
      );
    }

    if (route.webhooked) {
      const permittedAdmin = route.permission === 'read' ? 'viewer' : 'manager';
      it.each(['root', permittedAdmin] as const)(
        'answers 404 (not 403) to %s for a webhook of another account',
        async (who) => {
          const f = fixture();
          const token = who === 'root' ? f.gateway.rootToken : who === 'viewer' ? f.viewerToken : f.managerToken;
          const ids = { ...own(), webhookId: f.otherWebhookId };
          await expectProblem(await call(f, route, ids, `Bearer ${token}`), 404);
        },
      );
    }
  });
}
