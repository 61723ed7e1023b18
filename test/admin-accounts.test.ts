// SPEC §4 accounts and account admin tokens: who creates and reads them, and what each role may do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken, expectProblem } from './support/admin-auth-suite.js';
import { startGateway, type Gateway } from './support/gateway.js';

describe('accounts', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  it('creates an account (root) and reads it back', async () => {
    const response = await gateway.admin('POST', '/accounts', { name: 'Acme Ltd' });
    expect(response.status).toBe(201);
    const account = (await response.json()) as { id: string; name: string; createdAt: string };
    expect(account).toEqual({ id: expect.stringMatching(/^acct_/), name: 'Acme Ltd', createdAt: expect.any(String) });
    expect(Date.parse(account.createdAt)).not.toBeNaN();
    const read = await gateway.admin('GET', `/accounts/${account.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(account);
  });

  it('lets the account admins read their account', async () => {
    const account = await gateway.createAccount('Readable');
    for (const role of ['manager', 'viewer'] as const) {
      const token = await createAdminToken(gateway, account.id, role);
      const response = await gateway.admin('GET', `/accounts/${account.id}`, undefined, token);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: account.id, name: 'Readable' });
    }
  });

  it('answers 404 for an account that does not exist', async () => {
    await expectProblem(await gateway.admin('GET', '/accounts/acct_0000000000000000000000'), 404);
  });

  it.each([
    ['no name', {}],
    ['an empty name', { name: '' }],
    ['an unknown field', { name: 'x', plan: 'gold' }],
  ])('answers 400 with issues for %s', async (_, body) => {
    const problem = await expectProblem(await gateway.admin('POST', '/accounts', body), 400);
    expect((problem.issues as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('account admin tokens', () => {
  let gateway: Gateway;
  let accountId: string;
  beforeAll(async () => {
    gateway = await startGateway();
    accountId = (await gateway.createAccount()).id;
  });
  afterAll(() => gateway.close());

  it('are created by root with the token shown once, and each token is distinct', async () => {
    const response = await gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name: 'ci', role: 'viewer' });
    expect(response.status).toBe(201);
    const created = (await response.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ id: expect.any(String), accountId, name: 'ci', role: 'viewer', token: expect.any(String) });
    const again = (await (
      await gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name: 'ci', role: 'viewer' })
    ).json()) as Record<string, unknown>;
    expect(again.token).not.toBe(created.token);
    expect(again.id).not.toBe(created.id);
  });

  it('answers 400 for a role that does not exist', async () => {
    const response = await gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name: 'x', role: 'owner' });
    const problem = await expectProblem(response, 400);
    expect((problem.issues as Array<{ path: string }>).map((issue) => issue.path)).toContain('role');
  });

  it('answers 404 for an account that does not exist', async () => {
    const response = await gateway.admin('POST', '/accounts/acct_0000000000000000000000/admin-tokens', {
      name: 'x',
      role: 'viewer',
    });
    await expectProblem(response, 404);
  });

  it('a manager token manages the keys of its account', async () => {
    const manager = await createAdminToken(gateway, accountId, 'manager');
    const key = await gateway.createKey(accountId, { environment: 'sandbox', scopes: ['a'] }, manager);
    const path = `/accounts/${accountId}/keys/${key.id}`;
    expect((await gateway.admin('PATCH', path, { name: 'managed' }, manager)).status).toBe(200);
    expect((await gateway.admin('POST', `${path}/disable`, undefined, manager)).status).toBe(200);
    expect((await gateway.admin('POST', `${path}/enable`, undefined, manager)).status).toBe(200);
    expect((await gateway.admin('POST', `${path}/regenerate`, undefined, manager)).status).toBe(200);
    expect((await gateway.admin('POST', `${path}/revoke-sessions`, undefined, manager)).status).toBe(200);
    expect((await gateway.admin('GET', `/accounts/${accountId}/operations`, undefined, manager)).status).toBe(200);
    expect((await gateway.admin('DELETE', path, undefined, manager)).status).toBe(204);
  });

  it('a viewer token only reads', async () => {
    const viewer = await createAdminToken(gateway, accountId, 'viewer');
    const key = await gateway.createKey(accountId, { environment: 'production' });
    const path = `/accounts/${accountId}/keys/${key.id}`;
    expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, viewer)).status).toBe(200);
    expect((await gateway.admin('GET', path, undefined, viewer)).status).toBe(200);
    expect((await gateway.admin('GET', `/accounts/${accountId}/operations`, undefined, viewer)).status).toBe(200);
    await expectProblem(await gateway.admin('PATCH', path, { name: 'nope' }, viewer), 403);
    await expectProblem(await gateway.admin('DELETE', path, undefined, viewer), 403);
    await expectProblem(
      await gateway.admin('POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'nope' }, viewer),
      403,
    );
    expect(await (await gateway.admin('GET', path)).json()).toMatchObject({ name: key.name, status: 'active' });
  });

  it('an account admin token cannot create accounts or admin tokens', async () => {
    const manager = await createAdminToken(gateway, accountId, 'manager');
    await expectProblem(await gateway.admin('POST', '/accounts', { name: 'mine' }, manager), 403);
    await expectProblem(
      await gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name: 'more', role: 'manager' }, manager),
      403,
    );
  });
});
