// Adding a webhook whose URL names a host: what the caller learns about the name, and how long it may take.
import { describe, expect, it } from 'vitest';
import type { KeyStore } from '../ports/key-store.js';
import type { WebhookStore } from '../ports/webhook-store.js';
import type { Actor } from './admin-access.js';
import { createSealer } from './sealing.js';
import { createWebhookManagement } from './webhook-management.js';

const actor: Actor = { kind: 'root' };

async function management(resolve: (host: string) => Promise<string[] | null>, resolveTimeoutMs?: number) {
  const added: unknown[] = [];
  const webhooks = {
    createWebhook: async (record: unknown) => {
      added.push(record);
      return true;
    },
  } as unknown as WebhookStore;
  const keys = { getAccount: async (id: string) => ({ id, name: 'A', createdAt: 0 }) } as unknown as Pick<KeyStore, 'getAccount'>;
  const built = createWebhookManagement({
    webhooks,
    keys,
    sealer: await createSealer(undefined),
    clock: { now: () => Date.now() },
    allowPrivate: false,
    resolve,
    ...(resolveTimeoutMs !== undefined && { resolveTimeoutMs }),
  });
  return { built, added };
}

describe('adding a webhook whose URL names a host', () => {
  it('says what kind of address an internal name resolves to, never the address', async () => {
    const { built, added } = await management(async () => ['93.184.216.34', '10.20.30.40']);
    const result = await built.createWebhook(actor, 'acct_x', { url: 'https://db.corp.example/hook' });
    expect(result).toMatchObject({ ok: false, reason: 'address_not_allowed', detail: expect.stringContaining('private') });
    expect(result.ok || result.detail).not.toContain('10.20.30.40');
    expect(added).toHaveLength(0);
  });

  it('gives up on a name whose DNS never answers, with a 400-worthy reason instead of a request held open', async () => {
    const { built, added } = await management(() => new Promise(() => {}), 100);
    const started = Date.now();
    const result = await built.createWebhook(actor, 'acct_x', { url: 'https://tarpit.example/hook' });
    expect(result).toMatchObject({ ok: false, reason: 'invalid_url', detail: expect.stringContaining('does not resolve') });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(added).toHaveLength(0);
  });

  it('adds a name that resolves to public addresses only', async () => {
    const { built, added } = await management(async () => ['93.184.216.34']);
    expect(await built.createWebhook(actor, 'acct_x', { url: 'https://hooks.example/hook' })).toMatchObject({ ok: true });
    expect(added).toHaveLength(1);
  });
});
