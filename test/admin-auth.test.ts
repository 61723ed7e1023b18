// Every admin route (SPEC §4) gets the same 401/403/404 suite, and no refused call changes anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAdminAuthFixture,
  describeAdminAuth,
  type AdminAuthFixture,
  type AdminRoute,
} from './support/admin-auth-suite.js';
import { startGateway, type Gateway } from './support/gateway.js';

const key = (suffix = '') => ({
  path: ({ accountId, keyId }: { accountId: string; keyId: string }) => `/accounts/${accountId}/keys/${keyId}${suffix}`,
  template: `/accounts/{accountId}/keys/{keyId}${suffix}`,
  keyed: true,
});

const ROUTES: AdminRoute[] = [
  { method: 'POST', template: '/accounts', path: () => '/accounts', body: { name: 'Intruder' }, permission: 'root' },
  { method: 'GET', template: '/accounts/{accountId}', path: (ids) => `/accounts/${ids.accountId}`, permission: 'read' },
  {
    method: 'POST',
    template: '/accounts/{accountId}/admin-tokens',
    path: (ids) => `/accounts/${ids.accountId}/admin-tokens`,
    body: { name: 'sneaky', role: 'manager' },
    permission: 'root',
  },
  {
    method: 'POST',
    template: '/accounts/{accountId}/keys',
    path: (ids) => `/accounts/${ids.accountId}/keys`,
    body: { environment: 'production', name: 'sneaky' },
    permission: 'manage',
  },
  { method: 'GET', template: '/accounts/{accountId}/keys', path: (ids) => `/accounts/${ids.accountId}/keys`, permission: 'read' },
  { method: 'GET', ...key(), permission: 'read' },
  { method: 'PATCH', ...key(), body: { name: 'renamed', scopes: ['a', 'b'] }, permission: 'manage' },
  { method: 'POST', ...key('/regenerate'), permission: 'manage' },
  { method: 'POST', ...key('/disable'), permission: 'manage' },
  { method: 'POST', ...key('/enable'), permission: 'manage' },
  { method: 'DELETE', ...key(), permission: 'manage' },
  { method: 'POST', ...key('/revoke-sessions'), permission: 'manage' },
  {
    method: 'GET',
    template: '/accounts/{accountId}/operations',
    path: (ids) => `/accounts/${ids.accountId}/operations`,
    permission: 'read',
  },
  {
    method: 'GET',
    template: '/environments/{env}/signing-keys',
    path: (ids) => `/environments/${ids.environment}/signing-keys`,
    permission: 'root',
  },
  {
    method: 'POST',
    template: '/environments/{env}/signing-keys/rotate',
    path: (ids) => `/environments/${ids.environment}/signing-keys/rotate`,
    permission: 'root',
  },
];

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

    it('sessions were not revoked and the signing key was not rotated', async () => {
      const info = await gateway.fetch('/sandbox/oauth/tokeninfo', { headers: { authorization: `Bearer ${tokenBefore}` } });
      expect(info.status).toBe(200);
      expect(await sandboxKids()).toEqual(kidsBefore);
    });

    it('no key or admin token was added to the account', async () => {
      const keys = (await (await gateway.admin('GET', `/accounts/${fixture.accountId}/keys`)).json()) as { items: unknown[] };
      expect(keys.items).toHaveLength(1);
      const operations = (await (await gateway.admin('GET', `/accounts/${fixture.accountId}/operations`)).json()) as {
        items: Array<{ action: string }>;
      };
      // The fixture's own history: the account, its key, and two admin tokens.
      expect(operations.items.map((operation) => operation.action).sort()).toEqual(
        ['account.created', 'admin_token.created', 'admin_token.created', 'key.created'].sort(),
      );
    });
  });
});
