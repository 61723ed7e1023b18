// SPEC §4 operations log: every change to a key is recorded with its action, key, environment and actor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from './support/admin-auth-suite.js';
import { startGateway, type Gateway } from './support/gateway.js';

interface Operation {
  id: string;
  action: string;
  keyId: string | null;
  environment: string | null;
  actor: string;
  at: string;
}

interface OperationPage {
  items: Operation[];
  nextCursor: string | null;
}

describe('operations log', () => {
  let gateway: Gateway;
  let accountId: string;
  let managerId: string;
  let keyId: string;
  beforeAll(async () => {
    gateway = await startGateway();
    accountId = (await gateway.createAccount()).id;
    const created = await gateway.admin('POST', `/accounts/${accountId}/admin-tokens`, { name: 'ops', role: 'manager' });
    const manager = (await created.json()) as { id: string; token: string };
    managerId = manager.id;

    // Every kind of key change, some by root and some by the manager.
    const key = await gateway.createKey(accountId, { environment: 'production', scopes: ['a'] }, manager.token);
    keyId = key.id;
    const path = `/accounts/${accountId}/keys/${key.id}`;
    const steps: Array<[string, string, unknown, string | undefined]> = [
      ['PATCH', path, { name: 'renamed' }, undefined],
      ['POST', `${path}/regenerate`, undefined, manager.token],
      ['POST', `${path}/disable`, undefined, undefined],
      ['POST', `${path}/enable`, undefined, manager.token],
      ['POST', `${path}/revoke-sessions`, undefined, undefined],
      ['DELETE', path, undefined, manager.token],
    ];
    for (const [method, stepPath, body, token] of steps) {
      const response = await gateway.admin(method, stepPath, body, token);
      if (response.status >= 300) throw new Error(`${method} ${stepPath}: ${response.status}`);
    }
  });
  afterAll(() => gateway.close());

  async function allOperations(limit: number): Promise<{ operations: Operation[]; pages: number }> {
    const operations: Operation[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = new URLSearchParams({ limit: String(limit), ...(cursor && { cursor }) }).toString();
      const response = await gateway.admin('GET', `/accounts/${accountId}/operations?${query}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as OperationPage;
      operations.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    return { operations, pages };
  }

  it('records every key change with its actor and environment, newest first', async () => {
    const { operations } = await allOperations(100);
    const keyOperations = operations.filter((operation) => operation.keyId === keyId);
    expect(keyOperations.map((operation) => [operation.action, operation.actor])).toEqual([
      ['key.deleted', managerId],
      ['key.sessions_revoked', 'root'],
      ['key.enabled', managerId],
      ['key.disabled', 'root'],
      ['key.regenerated', managerId],
      ['key.updated', 'root'],
      ['key.created', managerId],
    ]);
    for (const operation of keyOperations) {
      expect(operation).toEqual({
        id: expect.stringMatching(/^op_/),
        action: expect.any(String),
        keyId,
        environment: 'production',
        actor: expect.any(String),
        at: expect.any(String),
      });
      expect(Date.parse(operation.at)).not.toBeNaN();
    }
  });

  it('records account and admin token creation too', async () => {
    const { operations } = await allOperations(100);
    expect(operations.map((operation) => operation.action)).toEqual(
      expect.arrayContaining(['account.created', 'admin_token.created']),
    );
  });

  it('pages with limit and nextCursor, each entry exactly once and in the same order', async () => {
    const whole = await allOperations(100);
    const paged = await allOperations(2);
    expect(paged.pages).toBe(Math.ceil(whole.operations.length / 2));
    expect(paged.operations.map((operation) => operation.id)).toEqual(whole.operations.map((operation) => operation.id));
  });

  it('lets a viewer read the log', async () => {
    const viewer = await createAdminToken(gateway, accountId, 'viewer');
    const response = await gateway.admin('GET', `/accounts/${accountId}/operations`, undefined, viewer);
    expect(response.status).toBe(200);
    expect(((await response.json()) as OperationPage).items.length).toBeGreaterThan(0);
  });

  it('answers 404 for the log of an account that does not exist', async () => {
    const response = await gateway.admin('GET', '/accounts/acct_0000000000000000000000/operations');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it("shows nothing of another account's operations", async () => {
    const other = await gateway.createAccount('Other');
    await gateway.createKey(other.id, { environment: 'sandbox' });
    const { operations } = await allOperations(100);
    expect(operations.filter((operation) => operation.action === 'key.created')).toHaveLength(1);
  });
});
