// DELETE …/keys/{keyId}?revokeSessions=true: deleting a compromised key and killing its live sessions in one call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.js';
import { introspect } from './support/oauth-calls.js';

describe('deleting a key with its sessions', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ env: { KEYMINT_ISSUANCE_CACHE: 'false' } });
  });
  afterAll(() => gateway.close());

  it('revokes the live sessions when asked, and leaves them valid by default', async () => {
    const account = await gateway.createAccount();
    const witness = await gateway.createKey(account.id, { environment: 'sandbox' });
    const compromised = await gateway.createKey(account.id, { environment: 'sandbox' });
    const retired = await gateway.createKey(account.id, { environment: 'sandbox' });
    const compromisedToken = await gateway.mint('sandbox', compromised);
    const retiredToken = await gateway.mint('sandbox', retired);

    const revoking = await gateway.admin('DELETE', `/accounts/${account.id}/keys/${compromised.id}?revokeSessions=true`);
    expect(revoking.status).toBe(204);
    const plain = await gateway.admin('DELETE', `/accounts/${account.id}/keys/${retired.id}`);
    expect(plain.status).toBe(204);

    expect(await introspect(gateway, 'sandbox', witness, compromisedToken)).toEqual({ active: false });
    expect(await introspect(gateway, 'sandbox', witness, retiredToken)).toMatchObject({ active: true });

    const log = (await (await gateway.admin('GET', `/accounts/${account.id}/operations?limit=10`)).json()) as {
      items: { action: string; keyId: string }[];
    };
    const actions = log.items.filter((item) => item.keyId === compromised.id).map((item) => item.action);
    expect(actions.slice(0, 2)).toEqual(['key.deleted', 'key.sessions_revoked']);
  });

  it('refuses a revokeSessions value that is not true or false, deleting nothing', async () => {
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox' });
    const response = await gateway.admin('DELETE', `/accounts/${account.id}/keys/${key.id}?revokeSessions=yes`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await gateway.admin('GET', `/accounts/${account.id}/keys/${key.id}`)).status).toBe(200);
  });
});
