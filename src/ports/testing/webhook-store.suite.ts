// The WebhookStore contract: webhooks per account, audited; the outbox the KeyStore fills in the same transaction
// as each audited change; claiming due deliveries under a lease; recording attempts; outages.
import { describe, expect, it } from 'vitest';
import type { Environment } from '../../shared/domain.js';
import { fail, ok } from '../../shared/result.js';
import type { AccountRecord, KeyRecord, KeyStore, OperationAction, OperationRecord } from '../key-store.js';
import type { WebhookDeliveryRecord, WebhookRecord, WebhookStore } from '../webhook-store.js';
import { expectUnavailable, nextId, openFixtures, SECRET_KEY_DEFAULTS, type StoreFixture } from './fixtures.js';

/** The two stores over one database: the KeyStore queues deliveries, the WebhookStore reads and works them. */
export interface WebhookStores {
  webhooks: WebhookStore;
  keys: KeyStore;
}

export interface WebhookStoreFixture extends StoreFixture<WebhookStores> {
  /** The same stores through another connection (another process or node), where the backend has one. */
  sibling?(): WebhookStores;
}

/** An operation carrying its event, as core hands it over (the payload is opaque text to the store). */
function operation(
  action: OperationAction,
  accountId: string,
  at: number,
  key?: { id: string; environment: Environment },
  withEvent = true,
): OperationRecord {
  const id = nextId('op_');
  const record = { id, accountId, environment: key?.environment ?? null, keyId: key?.id ?? null, action, actor: 'root', at };
  return withEvent ? { ...record, event: JSON.stringify({ type: action, timestamp: new Date(at).toISOString(), data: { id } }) } : record;
}

function keyRecord(accountId: string, at: number, overrides: Partial<KeyRecord> = {}): KeyRecord {
  const id = nextId('key_');
  return {
    id,
    accountId,
    environment: 'sandbox',
    name: `key ${id}`,
    applicationId: nextId('app_sbx_'),
    secretHash: nextId('hash_'),
    secretHint: 'abcd',
    scopes: [],
    status: 'active',
    expiresAt: null,
    createdAt: at,
    updatedAt: at,
    lastUsedAt: null,
    ...SECRET_KEY_DEFAULTS,
    ...overrides,
  };
}

/** The delivery id the contract fixes: `msg_` + the operation id after its prefix + `_` + the webhook id after `wh_`. */
function deliveryId(operationId: string, webhookId: string): string {
  return `msg_${operationId.slice(operationId.indexOf('_') + 1)}_${webhookId.slice(3)}`;
}

// Far beyond any test's clock: claiming everything due then, with no lease, parks other tests' deliveries there.
const PARKED = 4_000_000_000_000;

export function describeWebhookStoreContract(name: string, factory: () => WebhookStoreFixture | Promise<WebhookStoreFixture>): void {
  describe(`WebhookStore contract: ${name}`, () => {
    const open = openFixtures(factory);

    async function withAccount(fixture: WebhookStoreFixture): Promise<AccountRecord> {
      const account = { id: nextId('acct_'), name: 'Acme', createdAt: fixture.clock.now() };
      await fixture.store.keys.createAccount(account, operation('account.created', account.id, account.createdAt));
      return account;
    }

    async function withWebhook(
      fixture: WebhookStoreFixture,
      accountId: string,
      events: OperationAction[] | null = null,
    ): Promise<WebhookRecord> {
      const webhook = {
        id: nextId('wh_'),
        accountId,
        url: `https://hooks.example/${nextId('')}`,
        events,
        secret: `whsec_${nextId('')}`,
        createdAt: fixture.clock.now(),
      };
      expect(await fixture.store.webhooks.createWebhook(webhook, operation('webhook.created', accountId, webhook.createdAt), 100)).toBe(true);
      return webhook;
    }

    async function deliveries(fixture: WebhookStoreFixture, webhook: WebhookRecord): Promise<WebhookDeliveryRecord[]> {
      return (await fixture.store.webhooks.listDeliveries(webhook.accountId, webhook.id, { limit: 100 })).items;
    }

    /** The event types queued for the webhook, newest first. */
    async function queued(fixture: WebhookStoreFixture, webhook: WebhookRecord): Promise<string[]> {
      return (await deliveries(fixture, webhook)).map((delivery) => delivery.eventType);
    }

    it("creates, lists, reads and deletes an account's webhooks, each change audited", async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const account = await withAccount(fixture);
      const stranger = await withAccount(fixture);
      const all = await withWebhook(fixture, account.id);
      const some = await withWebhook(fixture, account.id, ['key.created', 'key.deleted']);

      expect(await webhooks.listWebhooks(account.id)).toEqual([all, some]);
      expect(await webhooks.getWebhook(account.id, some.id)).toEqual(some);
      expect(await webhooks.listWebhooks(stranger.id)).toEqual([]);
      expect(await webhooks.getWebhook(stranger.id, some.id)).toBeNull();

      expect(await webhooks.deleteWebhook(stranger.id, some.id, operation('webhook.deleted', stranger.id, 1))).toBe(false);
      expect(await webhooks.deleteWebhook(account.id, some.id, operation('webhook.deleted', account.id, fixture.clock.now()))).toBe(true);
      expect(await webhooks.deleteWebhook(account.id, some.id, operation('webhook.deleted', account.id, fixture.clock.now()))).toBe(false);
      expect(await webhooks.getWebhook(account.id, some.id)).toBeNull();
      expect(await webhooks.listWebhooks(account.id)).toEqual([all]);

      const audit = (accountId: string) => keys.listOperations(accountId, { limit: 10 }).then((page) => page.items.map((entry) => entry.action));
      expect(await audit(account.id)).toEqual(['webhook.deleted', 'webhook.created', 'webhook.created', 'account.created']);
      expect(await audit(stranger.id)).toEqual(['account.created']);
    });

    it("refuses a webhook beyond the account's limit, without an audit entry, also when added concurrently", async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const account = await withAccount(fixture);
      const other = await withAccount(fixture);
      await withWebhook(fixture, other.id);
      const add = () => {
        const webhook = { id: nextId('wh_'), accountId: account.id, url: 'https://hooks.example/', events: null, secret: 'whsec_x', createdAt: fixture.clock.now() };
        return webhooks.createWebhook(webhook, operation('webhook.created', account.id, webhook.createdAt), 3);
      };
      // Another account's webhooks do not count; of six adds at once, three fit.
      const added = await Promise.all(Array.from({ length: 6 }, add));
      expect(added.filter(Boolean)).toHaveLength(3);
      expect(await webhooks.listWebhooks(account.id)).toHaveLength(3);
      expect(await add()).toBe(false);
      const audited = (await keys.listOperations(account.id, { limit: 20 })).items.filter((entry) => entry.action === 'webhook.created');
      expect(audited).toHaveLength(3);
    });

    it('queues one delivery per subscribed webhook of the account with each audited change, in its transaction', async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const { clock } = fixture;
      const account = await withAccount(fixture);
      const other = await withAccount(fixture);
      const all = await withWebhook(fixture, account.id);
      const created = await withWebhook(fixture, account.id, ['key.created']);
      const deleted = await withWebhook(fixture, account.id, ['key.deleted']);
      const elsewhere = await withWebhook(fixture, other.id);

      const key = keyRecord(account.id, clock.now());
      const audit = operation('key.created', account.id, clock.now() + 1, key);
      expect(await keys.insertKey(key, { perEnvironment: 10 }, audit)).toEqual(ok(undefined));
      const expected = (webhook: WebhookRecord): WebhookDeliveryRecord => ({
        id: deliveryId(audit.id, webhook.id),
        webhookId: webhook.id,
        accountId: account.id,
        eventType: 'key.created',
        payload: audit.event!,
        createdAt: audit.at,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: audit.at,
        lastAttemptAt: null,
        lastStatus: null,
        lastError: null,
        deliveredAt: null,
      });
      expect((await deliveries(fixture, all))[0]).toEqual(expected(all));
      expect(await deliveries(fixture, created)).toEqual([expected(created)]);
      expect(await queued(fixture, deleted)).toEqual([]);
      // Another account's webhook hears nothing of it (only of its own account's webhook being created).
      expect(await queued(fixture, elsewhere)).toEqual(['webhook.created']);
      // A webhook hears of its own creation and of those after it, never of those before.
      expect(await queued(fixture, all)).toEqual(['key.created', 'webhook.created', 'webhook.created', 'webhook.created']);
      expect(await queued(fixture, deleted)).toEqual([]);

      // Every kind of audited write queues.
      const token = { id: nextId('adm_'), accountId: account.id, name: 'ci', role: 'viewer' as const, tokenHash: nextId('hash_'), createdAt: 1, lastUsedAt: null };
      await keys.createAdminToken(token, operation('admin_token.created', account.id, clock.now() + 2));
      await keys.deleteAdminToken(account.id, token.id, operation('admin_token.revoked', account.id, clock.now() + 3));
      await keys.updateKey(account.id, key.id, { name: 'renamed', updatedAt: clock.now() + 4 }, operation('key.updated', account.id, clock.now() + 4, key));
      await keys.recordOperation(operation('key.sessions_revoked', account.id, clock.now() + 5, key));
      await keys.deleteKey(account.id, key.id, operation('key.deleted', account.id, clock.now() + 6, key));
      expect((await queued(fixture, all)).slice(0, 6)).toEqual([
        'key.deleted',
        'key.sessions_revoked',
        'key.updated',
        'admin_token.revoked',
        'admin_token.created',
        'key.created',
      ]);
      expect(await queued(fixture, deleted)).toEqual(['key.deleted']);
      // An operation without an event queues nothing.
      await keys.recordOperation(operation('key.sessions_revoked', account.id, clock.now() + 7, key, false));
      expect((await queued(fixture, all))[0]).toBe('key.deleted');

      // Deleting a webhook tells the others, drops its own deliveries, and keeps theirs.
      expect(await webhooks.deleteWebhook(account.id, created.id, operation('webhook.deleted', account.id, clock.now() + 8))).toBe(true);
      expect(await queued(fixture, created)).toEqual([]);
      expect((await queued(fixture, all))[0]).toBe('webhook.deleted');
      expect(await queued(fixture, deleted)).toEqual(['key.deleted']);
    });

    it('queues nothing for a change that does not happen', async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const { clock } = fixture;
      const account = await withAccount(fixture);
      const hook = await withWebhook(fixture, account.id);
      const first = keyRecord(account.id, clock.now(), { name: 'taken' });
      await keys.insertKey(first, { perEnvironment: 10 }, operation('key.created', account.id, clock.now(), first));
      const before = await queued(fixture, hook);

      // Refused by the limit, by the name, by a unique id; a rename onto a taken name; changes to no key.
      const refused = keyRecord(account.id, clock.now());
      expect(await keys.insertKey(refused, { perEnvironment: 1 }, operation('key.created', account.id, 1, refused))).toEqual(fail('limit_exceeded'));
      expect(await keys.insertKey(refused, { perEnvironment: 9, perAccount: 1 }, operation('key.created', account.id, 1, refused))).toEqual(
        fail('account_limit_exceeded'),
      );
      const named = keyRecord(account.id, clock.now(), { name: 'taken' });
      expect(await keys.insertKey(named, { perEnvironment: 10 }, operation('key.created', account.id, 1, named))).toEqual(fail('name_taken'));
      const clash = keyRecord(account.id, clock.now(), { applicationId: first.applicationId });
      await expect(keys.insertKey(clash, { perEnvironment: 10 }, operation('key.created', account.id, 1, clash))).rejects.toThrow();
      const second = keyRecord(account.id, clock.now());
      await keys.insertKey(second, { perEnvironment: 10 }, operation('key.created', account.id, clock.now(), second));
      const withSecond = await queued(fixture, hook);
      expect(await keys.updateKey(account.id, second.id, { name: 'taken', updatedAt: 2 }, operation('key.updated', account.id, 2, second))).toEqual(
        fail('name_taken'),
      );
      const missing = { id: nextId('key_'), environment: 'sandbox' as const };
      expect(await keys.updateKey(account.id, missing.id, { scopes: [], updatedAt: 2 }, operation('key.updated', account.id, 2, missing))).toEqual(
        fail('not_found'),
      );
      expect(await keys.deleteKey(account.id, missing.id, operation('key.deleted', account.id, 2, missing))).toBe(false);
      expect(await keys.deleteAdminToken(account.id, nextId('adm_'), operation('admin_token.revoked', account.id, 2))).toBe(false);
      expect(await webhooks.deleteWebhook(account.id, nextId('wh_'), operation('webhook.deleted', account.id, 2))).toBe(false);

      expect(withSecond).toEqual(['key.created', ...before]);
      expect(await queued(fixture, hook)).toEqual(withSecond);
    });

    it("pages a webhook's deliveries newest first, each exactly once", async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const account = await withAccount(fixture);
      const hook = await withWebhook(fixture, account.id, ['key.sessions_revoked']);
      const recorded = [];
      for (let index = 0; index < 5; index++) {
        const entry = operation('key.sessions_revoked', account.id, fixture.clock.now() + index);
        await keys.recordOperation(entry);
        recorded.push(deliveryId(entry.id, hook.id));
      }
      const pages: string[][] = [];
      let after: string | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await webhooks.listDeliveries(account.id, hook.id, { after, limit: 2 });
        pages.push(page.items.map((delivery) => delivery.id));
        if (page.next === null) break;
        after = page.next;
      }
      expect(pages.flat()).toEqual([...recorded].reverse());
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      // Another account cannot read them.
      const stranger = await withAccount(fixture);
      expect((await webhooks.listDeliveries(stranger.id, hook.id, { limit: 10 })).items).toEqual([]);
    });

    it('leases due deliveries to one claimer at a time, oldest first, with their webhook; a lapsed lease frees them', async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const now = fixture.clock.now();
      await webhooks.claimDueDeliveries(PARKED, 100_000, 0);
      const account = await withAccount(fixture);
      const hook = await withWebhook(fixture, account.id, ['key.sessions_revoked']);
      const ids = [];
      for (let index = 0; index < 3; index++) {
        const entry = operation('key.sessions_revoked', account.id, now + index * 10);
        await keys.recordOperation(entry);
        ids.push(deliveryId(entry.id, hook.id));
      }
      // Not due before its time.
      expect(await webhooks.claimDueDeliveries(now - 1, 10, 1_000)).toEqual([]);
      const first = await webhooks.claimDueDeliveries(now + 10, 1, 1_000);
      expect(first).toHaveLength(1);
      expect(first[0]!.webhook).toEqual(hook);
      expect(first[0]!.delivery).toMatchObject({ id: ids[0], status: 'pending', attempts: 0, nextAttemptAt: now + 10 + 1_000 });
      const rest = await webhooks.claimDueDeliveries(now + 20, 10, 1_000);
      expect(rest.map((claimed) => claimed.delivery.id)).toEqual([ids[1], ids[2]]);
      // Leased: nobody else gets them until the lease ends.
      expect(await webhooks.claimDueDeliveries(now + 500, 10, 1_000)).toEqual([]);
      const again = await webhooks.claimDueDeliveries(now + 10 + 1_000, 10, 1_000);
      expect(again.map((claimed) => claimed.delivery.id)).toEqual([ids[0]]);
    });

    it('never leases one delivery to two concurrent claimers', async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const stores = [fixture.store, ...(fixture.sibling ? [fixture.sibling()] : [])];
      const now = fixture.clock.now();
      await webhooks.claimDueDeliveries(PARKED, 100_000, 0);
      const account = await withAccount(fixture);
      const hook = await withWebhook(fixture, account.id, ['key.sessions_revoked']);
      for (let index = 0; index < 12; index++) await keys.recordOperation(operation('key.sessions_revoked', account.id, now));
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, index) => stores[index % stores.length]!.webhooks.claimDueDeliveries(now, 3, 60_000)),
      );
      // (Under SKIP LOCKED a claimer may come back short while others hold rows; a later claim takes the rest.)
      const rest = await webhooks.claimDueDeliveries(now, 100, 60_000);
      const claimed = [...claims.flat(), ...rest].map((each) => each.delivery.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual((await deliveries(fixture, hook)).map((delivery) => delivery.id).sort());
    });

    it('records attempts on pending deliveries: a retry, a delivery, a failure; a late report changes nothing', async () => {
      const fixture = await open();
      const { webhooks, keys } = fixture.store;
      const now = fixture.clock.now();
      await webhooks.claimDueDeliveries(PARKED, 100_000, 0);
      const account = await withAccount(fixture);
      const hook = await withWebhook(fixture, account.id, ['key.sessions_revoked']);
      const [good, bad] = [operation('key.sessions_revoked', account.id, now), operation('key.sessions_revoked', account.id, now + 1)];
      for (const entry of [good, bad]) await keys.recordOperation(entry);
      const [goodId, badId] = [deliveryId(good.id, hook.id), deliveryId(bad.id, hook.id)];
      const read = async (id: string) => (await deliveries(fixture, hook)).find((delivery) => delivery.id === id)!;

      expect(await webhooks.recordDeliveryAttempt(goodId, { outcome: 'retry', at: now + 5, status: 503, error: 'Service Unavailable', nextAttemptAt: now + 5_000 })).toBe(true);
      expect(await read(goodId)).toMatchObject({ status: 'pending', attempts: 1, lastAttemptAt: now + 5, lastStatus: 503, lastError: 'Service Unavailable', nextAttemptAt: now + 5_000, deliveredAt: null });
      // The retry is due at its time, not before.
      expect((await webhooks.claimDueDeliveries(now + 4_999, 10, 100)).map((claimed) => claimed.delivery.id)).toEqual([badId]);
      expect((await webhooks.claimDueDeliveries(now + 5_000, 10, 100)).map((claimed) => claimed.delivery.id)).toEqual([goodId]);

      expect(await webhooks.recordDeliveryAttempt(goodId, { outcome: 'delivered', at: now + 5_001, status: 204 })).toBe(true);
      expect(await read(goodId)).toMatchObject({ status: 'delivered', attempts: 2, lastAttemptAt: now + 5_001, lastStatus: 204, lastError: null, deliveredAt: now + 5_001 });
      expect(await webhooks.recordDeliveryAttempt(badId, { outcome: 'failed', at: now + 6_000, status: null, error: 'connection refused' })).toBe(true);
      expect(await read(badId)).toMatchObject({ status: 'failed', attempts: 1, lastStatus: null, lastError: 'connection refused', deliveredAt: null });

      // Done is done: a dispatcher reporting after its lease ran out changes nothing; neither is claimed again.
      expect(await webhooks.recordDeliveryAttempt(goodId, { outcome: 'failed', at: now + 7_000, status: 500, error: 'late' })).toBe(false);
      expect(await webhooks.recordDeliveryAttempt(badId, { outcome: 'delivered', at: now + 7_000, status: 200 })).toBe(false);
      expect(await read(goodId)).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(await webhooks.recordDeliveryAttempt(`msg_${nextId('')}`, { outcome: 'delivered', at: now, status: 200 })).toBe(false);
      expect(await webhooks.claimDueDeliveries(now + 100_000, 10, 100)).toEqual([]);
    });

    it('raises StoreUnavailableError naming the store from every operation while its backend is down', async (context) => {
      const fixture = await open();
      if (!fixture.outage) return context.skip('this backend cannot be made unavailable');
      const { webhooks } = fixture.store;
      const account = await withAccount(fixture);
      const hook = await withWebhook(fixture, account.id);
      await fixture.outage.begin();
      const unavailable = (work: Promise<unknown>) => expectUnavailable(work, fixture.outage!.store);
      await unavailable(webhooks.createWebhook({ ...hook, id: nextId('wh_') }, operation('webhook.created', account.id, 1), 100));
      await unavailable(webhooks.listWebhooks(account.id));
      await unavailable(webhooks.getWebhook(account.id, hook.id));
      await unavailable(webhooks.deleteWebhook(account.id, hook.id, operation('webhook.deleted', account.id, 1)));
      await unavailable(webhooks.listDeliveries(account.id, hook.id, { limit: 10 }));
      await unavailable(webhooks.claimDueDeliveries(fixture.clock.now(), 10, 1_000));
      await unavailable(webhooks.recordDeliveryAttempt(`msg_${nextId('')}`, { outcome: 'delivered', at: 1, status: 200 }));
    });
  });
}
