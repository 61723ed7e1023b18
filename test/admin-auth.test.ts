// Every admin route (SPEC §4) gets the same 401/403/404 suite, and no refused call changes anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedRoutes } from '../src/http/openapi/routes.js';
import { adminRoutesFromDocs, createAdminAuthFixture, describeAdminAuth, type AdminAuthFixture } from './support/admin-auth-suite.js';
import { runsTwoNodes, startGateway, type Gateway } from './support/gateway.js';

// Every documented admin route: a new one is in the suite the moment it is documented (and openapi.test.ts
// fails for a served route that is not).
const ROUTES = adminRoutesFromDocs(documentedRoutes);

describe('admin API authentication and authorization', () => {
  let gateway: Gateway;
  let fixture: AdminAuthFixture;
  let tokenBefore: string;
  let kidsBefore: string[];
  beforeAll(async () => {
    gateway = await startGateway();
    fixture = await createAdminAuthFixture(gateway);
    tokenBefore = await gateway.mint('sandbox', fixture.key);
    kidsBefore = await sandboxKids();
  });
  afterAll(() => gateway.close());

  async function sandboxKids(): Promise<string[]> {
    const { keys } = (await (await gateway.fetch('/sandbox/.well-known/jwks.json')).json()) as { keys: Array<{ kid: string }> };
    return keys.map((jwk) => jwk.kid);
  }

  // The app's route table is in the test's process only (the node project checks it; two nodes serve the same bundle).
  it.skipIf(runsTwoNodes())('covers every admin route the app serves', () => {
    const served = gateway.app.routes
      .filter((route) => route.method !== 'ALL' && route.path.startsWith('/admin/v1/'))
      .map((route) => `${route.method} ${route.path.slice('/admin/v1'.length).replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`);
    expect(ROUTES.map((route) => `${route.method} ${route.template}`).sort()).toEqual([...new Set(served)].sort());
  });

  describeAdminAuth(() => fixture, ROUTES);

  describe('after every refused call', () => {
    it('both keys are unchanged and still mint with their original credentials', async () => {
      for (const key of [fixture.key, fixture.otherKey]) {
        const response = await gateway.admin('GET', `/accounts/${key.accountId}/keys/${key.id}`);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          applicationId: key.applicationId,
          name: key.name,
          scopes: key.scopes,
          status: 'active',
        });
        expect((await gateway.exchange('sandbox', key.applicationId, key.applicationSecret)).status).toBe(200);
      }
    });

    it('the admin tokens refused calls named still work (none was revoked)', async () => {
      const response = await gateway.fetch(`/admin/v1/accounts/${fixture.accountId}/keys`, {
        headers: { authorization: `Bearer ${fixture.viewerToken}` },
      });
      expect(response.status).toBe(200);
    });

    it('sessions were not revoked and the signing key was not rotated', async () => {
      const info = await gateway.fetch('/sandbox/oauth/tokeninfo', { headers: { authorization: `Bearer ${tokenBefore}` } });
      expect(info.status).toBe(200);
      expect(await sandboxKids()).toEqual(kidsBefore);
    });

    it('no key, admin token or webhook was added to the account, and its webhook is still there', async () => {
      const keys = (await (await gateway.admin('GET', `/accounts/${fixture.accountId}/keys`)).json()) as { items: unknown[] };
      expect(keys.items).toHaveLength(1);
      const webhooks = (await (await gateway.admin('GET', `/accounts/${fixture.accountId}/webhooks`)).json()) as {
        items: Array<{ id: string }>;
      };
      expect(webhooks.items.map((webhook) => webhook.id)).toEqual([fixture.webhookId]);
      const operations = (await (await gateway.admin('GET', `/accounts/${fixture.accountId}/operations`)).json()) as {
        items: Array<{ action: string }>;
      };
      // The fixture's own history: the account, its key, two admin tokens and a webhook.
      expect(operations.items.map((operation) => operation.action).sort()).toEqual(
        ['account.created', 'admin_token.created', 'admin_token.created', 'key.created', 'webhook.created'].sort(),
      );
    });
  });
});
