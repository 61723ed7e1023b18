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

    /**
     * Disables `key` through `from` while `to`'s Api-Key path is asked back to back (nothing else asked of `to`, so
     * only its change feed can drop the cached answer): how long after `from` answered the first refusal came back,
     * what one call costs (the median of those served before), which bounds how finely that is measured, and how many
     * calls sent after `from` answered were still served (stale answers a client saw). A refusal costs more than a
     * cached answer (a key-store read, a failure counted), so what a refused call costs once settled is measured too.
     */
    async disableSeenBy(
      from: Node,
      to: Node,
      accountId: string,
      key: NodeKey,
    ): Promise<{ refusedAfterMs: number; callMs: number; refusedCallMs: number; staleCalls: number }> {
      const served: number[] = [];
      let staleCalls = 0;
      let answeredAt: number | undefined;
      let refusedAt: number | undefined;
      const probing = (async () => {
        const deadline = performance.now() + 10_000;
        while (refusedAt === undefined && performance.now() < deadline) {
          const sentAt = performance.now();
          const response = await calls.apiKeyCall(to, key);
          const answered = performance.now();
          await response.body?.cancel();
          if (response.status === 200) {
            served.push(answered - sentAt);
            if (answeredAt !== undefined && sentAt > answeredAt) staleCalls++;
          } else if (response.status === 401) refusedAt = answered;
          else throw new Error(`the Api-Key call on the other node answered ${response.status}`);
        }
      })();
      // A few calls served from the cache first.
      await until('the Api-Key call is served a few times', async () => (served.length >= 3 ? true : undefined), 5_000);
      const disabled = await calls.admin(from, 'POST', `/accounts/${accountId}/keys/${key.id}/disable`);
      answeredAt = performance.now();
      expect(disabled.status).toBe(200);
      await probing;
      if (refusedAt === undefined) throw new Error('the other node kept serving the disabled key for 10 s');
      const sorted = [...served].sort((x, y) => x - y);
      const again = performance.now();
      expect((await calls.apiKeyCall(to, key)).status).toBe(401);
      const refusedCallMs = performance.now() - again;
      return { refusedAfterMs: Math.max(0, refusedAt - answeredAt), callMs: sorted[Math.floor(sorted.length / 2)]!, refusedCallMs, staleCalls };
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
