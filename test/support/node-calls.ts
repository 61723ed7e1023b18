// Calls the multi-node tests make on one gateway process among several (its URL, the root token they share): admin
// requests, minting, an Api-Key call, the change notices it heard, and a poll that measures how long something took.
import { expect } from 'vitest';
import { randomBase62 } from '../../src/shared/encoding.js';
import { basic } from './gateway.js';

export interface NodeKey {
  id: string;
  applicationId: string;
  applicationSecret: string;
}

export interface Node {
  url: string;
}

export function nodeCalls(rootToken: string) {
  const calls = {
    admin(node: Node, method: string, path: string, body?: unknown): Promise<Response> {
      return fetch(`${node.url}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${rootToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },

    mint: (node: Node, key: NodeKey, environment = 'sandbox') =>
      fetch(`${node.url}/${environment}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(key.applicationId, key.applicationSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),

    apiKeyCall: (node: Node, key: NodeKey) => fetch(`${node.url}/sandbox/api/orders`, { headers: { authorization: `Api-Key ${key.applicationSecret}` } }),

    /** How many change notices `node` heard from other nodes so far (its /metrics). */
    async noticesHeard(node: Node): Promise<number> {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const line = text.split('\n').find((row) => row.startsWith('keymint_change_notices_total{event="heard"}'));
      return line ? Number(line.split(' ').pop()) : 0;
    },

    async newAccount(node: Node): Promise<string> {
      return (await created<{ id: string }>(await calls.admin(node, 'POST', '/accounts', { name: `acme-${randomBase62(6)}` }))).id;
    },

    async newKey(node: Node, accountId: string): Promise<NodeKey> {
      return created<NodeKey>(await calls.admin(node, 'POST', `/accounts/${accountId}/keys`, { environment: 'sandbox', name: `k-${randomBase62(6)}` }));
    },

    /** Waits until `to`'s change feed carries `from`'s notices (a subscription is made in the background at start-up). */
    async feedCarries(from: Node, to: Node, accountId: string, keyId: string): Promise<void> {
      const before = await calls.noticesHeard(to);
      await until('a change made on one node is heard on the other', async () => {
        expect((await calls.admin(from, 'PATCH', `/accounts/${accountId}/keys/${keyId}`, { name: `renamed-${randomBase62(4)}` })).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return (await calls.noticesHeard(to)) > before ? true : undefined;
      }, 10_000);
    },
  };
  return calls;
}

export async function created<T>(response: Response): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as T;
}

/** Polls `probe` every 5 ms until it gives a value; throws `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
