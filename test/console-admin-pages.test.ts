// The console's account-administration pages over plain HTTP (issue 17, SPEC §9): admin tokens listed and revoked,
// the operator's accounts list, and webhooks (add with the secret shown once, delete, the delivery log), each with its
// effect checked at the admin API; and the hostile pass: CSRF, roles, another account's ids, bad URLs.
import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminTokenWithId } from './support/admin-auth-suite.js';
import { ConsoleClient } from './support/console-client.js';
import { startGateway, type Gateway } from './support/gateway.js';

interface WebhookJson {
  id: string;
  url: string;
  events: string[] | null;
}

interface DeliveryJson {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

describe('console admin pages over HTTP', () => {
  let gateway: Gateway;
  let receiver: Server;
  let receiverUrl: string;
  /** What the receiver got: body and headers, to verify the signature with the secret the console showed. */
  const received: { body: string; headers: Record<string, string> }[] = [];
  let accountId: string;
  let otherAccountId: string;
  let root: ConsoleClient;

  beforeAll(async () => {
    // A receiver on loopback that accepts /ok and fails everything else with a 500.
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url !== '/ok') return void response.writeHead(500).end('receiver down');
        const header = (name: string) => String(request.headers[name]);
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          headers: { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') },
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    gateway = await startGateway({ env: { KEYMINT_WEBHOOKS_ALLOW_PRIVATE: 'true' }, webhookPollMs: 50 });
    accountId = (await gateway.createAccount('Admin Pages Co')).id;
    otherAccountId = (await gateway.createAccount('Neighbour')).id;
    root = new ConsoleClient(gateway);
    await root.signIn(gateway.rootToken);
  });
  afterAll(async () => {
    await gateway?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const adminTokensPath = () => `/console/accounts/${accountId}/admin-tokens`;
  const webhooksPath = (account = accountId) => `/console/accounts/${account}/webhooks`;

  async function apiWebhooks(account = accountId): Promise<WebhookJson[]> {
    const response = await gateway.admin('GET', `/accounts/${account}/webhooks`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: WebhookJson[] }).items;
  }

  async function apiDeliveries(webhookId: string): Promise<DeliveryJson[]> {
    const response = await gateway.admin('GET', `/accounts/${accountId}/webhooks/${webhookId}/deliveries`);
    return ((await response.json()) as { items: DeliveryJson[] }).items;
  }

  /** Adds a webhook through the console's form; returns its id and the secret the next page shows once. */
  async function addWebhook(client: ConsoleClient, url: string, events: string[] = []) {
    await client.page(webhooksPath());
    const body = new URLSearchParams({ _csrf: client.csrf, url });
    for (const event of events) body.append('events', event);
    const response = await client.request('POST', webhooksPath(), { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(303);
    const shownPath = response.headers.get('location')!;
    const webhookId = new RegExp(`^${webhooksPath()}/(wh_\\w+)/secret$`).exec(shownPath)?.[1];
    expect(webhookId).toBeDefined();
    const html = await client.page(shownPath);
    const secret = /id="webhook-secret">(whsec_[A-Za-z0-9+/=]+)</.exec(html)?.[1];
    expect(secret).toBeDefined();
    return { webhookId: webhookId!, secret: secret!, shownPath };
  }

  describe('admin tokens (root)', () => {
    it('lists each token with name, role, created and last used, never the token itself', async () => {
      const made = await createAdminTokenWithId(gateway, accountId, 'viewer', 'reporting dashboard');
      // Used once, so "last used" has a time to show.
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, made.token)).status).toBe(200);
      const html = await root.page(adminTokensPath());
      const row = new RegExp(`<tr data-token-id="${made.id}">([\\s\\S]*?)</tr>`).exec(html)?.[1];
      expect(row).toBeDefined();
      expect(row).toContain('reporting dashboard');
      expect(row).toContain('viewer');
      expect(row).toMatch(/last used <time datetime="/);
      expect(row).toContain('Revoke<span class="vh"> admin token reporting dashboard</span>');
      expect(html).not.toContain(made.token);
      expect(html).not.toContain(made.token.slice(-12));
    });

    it('revokes a token after a confirmation: the admin API refuses it at once, and its console session ends', async () => {
      const made = await createAdminTokenWithId(gateway, accountId, 'manager', 'ci deployer');
      const signedIn = new ConsoleClient(gateway);
      await signedIn.signIn(made.token);
      expect(await signedIn.page(`/console/accounts/${accountId}/sandbox`)).toContain('ci deployer (manager)');
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, made.token)).status).toBe(200);

      const confirmPath = `${adminTokensPath()}/${made.id}/revoke`;
      const confirm = await root.page(confirmPath);
      expect(confirm).toContain('Revoke the admin token “ci deployer”?');
      expect(confirm).toContain('From the next request on');
      // Opening the confirmation changes nothing.
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, made.token)).status).toBe(200);

      const revoked = await root.post(confirmPath);
      expect(revoked.status).toBe(303);
      expect(revoked.headers.get('location')).toBe(adminTokensPath());
      const list = await root.page(adminTokensPath());
      expect(list).toContain('Admin token revoked');
      expect(list).not.toContain(`data-token-id="${made.id}"`);

      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, made.token)).status).toBe(401);
      const listed = (await (await gateway.admin('GET', `/accounts/${accountId}/admin-tokens`)).json()) as { items: { id: string }[] };
      expect(listed.items.map((item) => item.id)).not.toContain(made.id);
      const ended = await signedIn.request('GET', `/console/accounts/${accountId}/sandbox`);
      expect(ended.status).toBe(303);
      expect(ended.headers.get('location')).toMatch(/^\/console\/sign-in(\?|$)/);
      // Revoking it again is a 404 page, not an error.
      expect((await root.post(confirmPath)).status).toBe(404);
    });

    it('is root’s alone: a manager gets 403 pages with its header kept, and revokes nothing', async () => {
      const target = await createAdminTokenWithId(gateway, accountId, 'viewer', 'kept');
      const manager = new ConsoleClient(gateway);
      await manager.signIn((await createAdminTokenWithId(gateway, accountId, 'manager', 'ambitious manager')).token);
      await manager.page(`/console/accounts/${accountId}/sandbox`);
      const refused = await manager.page(adminTokensPath(), 403);
      expect(refused).toContain('ambitious manager (manager)');
      expect(refused).toMatch(/<nav class="tabs"/);
      await manager.page(`${adminTokensPath()}/${target.id}/revoke`, 403);
      expect((await manager.post(`${adminTokensPath()}/${target.id}/revoke`)).status).toBe(403);
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, target.token)).status).toBe(200);
    });

    it('answers another account’s token id, or a malformed one, with a 404 page and revokes nothing', async () => {
      const neighbours = await createAdminTokenWithId(gateway, otherAccountId, 'viewer', 'neighbour token');
      await root.page(`${adminTokensPath()}/${neighbours.id}/revoke`, 404);
      expect((await root.post(`${adminTokensPath()}/${neighbours.id}/revoke`)).status).toBe(404);
      expect((await gateway.admin('GET', `/accounts/${otherAccountId}/keys`, undefined, neighbours.token)).status).toBe(200);
      await root.page(`${adminTokensPath()}/adm_%3Cscript%3E/revoke`, 404);
    });

    it('refuses a revoke without the CSRF token, or with another session’s, and the token keeps working', async () => {
      const target = await createAdminTokenWithId(gateway, accountId, 'viewer', 'csrf target');
      const path = `${adminTokensPath()}/${target.id}/revoke`;
      await root.page(path);
      const missing = await root.request('POST', path, { form: {} });
      expect(missing.status).toBe(403);
      expect(await missing.text()).toContain('CSRF token');
      const other = new ConsoleClient(gateway);
      await other.signIn(gateway.rootToken);
      await other.page('/console/accounts');
      expect((await root.request('POST', path, { form: { _csrf: other.csrf } })).status).toBe(403);
      expect((await root.post(path, {}, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect((await gateway.admin('GET', `/accounts/${accountId}/keys`, undefined, target.token)).status).toBe(200);
    });

    it('refuses a token name with control characters beside the field (400)', async () => {
      await root.page(adminTokensPath());
      const response = await root.post(adminTokensPath(), { name: 'bad\u001b[2Jname', role: 'viewer' });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/aria-describedby="name-error"[\s\S]*id="name-error"[^>]*>A name cannot hold control characters/);
    });
  });

  describe('accounts (root)', () => {
    it('lists every account a page of 50 at a time, oldest first, each linking to its keys', async () => {
      for (let index = 0; index < 50; index++) await gateway.createAccount(`Paged account ${String(index).padStart(2, '0')}`);
      const api = (await (await gateway.admin('GET', '/accounts?limit=100')).json()) as { items: { id: string; name: string }[] };
      expect(api.items.length).toBeGreaterThan(50);

      const first = await root.page('/console/accounts');
      const ids = (html: string) => [...html.matchAll(/<tr data-account-id="(acct_\w+)"/g)].map((match) => match[1]!);
      expect(ids(first)).toEqual(api.items.slice(0, 50).map((item) => item.id));
      expect(first).toContain(`href="/console/accounts/${accountId}/sandbox"`);
      expect(first).toContain('Admin Pages Co');
      const next = /href="(\/console\/accounts\?cursor=acct_\w+)">Next accounts/.exec(first)?.[1];
      expect(next).toBeDefined();

      const second = await root.page(next!);
      expect(ids(second)).toEqual(api.items.slice(50, 100).map((item) => item.id));
      expect(second).toContain('First accounts');
      expect(second).not.toContain('Next accounts');
      // A cursor the console did not hand out is ignored: the first page.
      expect(ids(await root.page('/console/accounts?cursor=%27%3Cx%3E'))).toEqual(ids(first));
    });

    it('sends an account admin to its own account instead of the list', async () => {
      const viewer = new ConsoleClient(gateway);
      await viewer.signIn((await createAdminTokenWithId(gateway, accountId, 'viewer')).token);
      const response = await viewer.request('GET', '/console/accounts');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`/console/accounts/${accountId}`);
    });
  });

  describe('webhooks', () => {
    it('adds a webhook whose whsec_ secret is shown once and signs its deliveries; the API lists it', async () => {
      const { webhookId, secret, shownPath } = await addWebhook(root, `${receiverUrl}/ok`, ['key.created', 'key.deleted']);
      expect(await apiWebhooks()).toContainEqual(expect.objectContaining({ id: webhookId, url: `${receiverUrl}/ok`, events: ['key.created', 'key.deleted'] }));
      const again = await root.request('GET', shownPath);
      expect(again.status).toBe(410);
      expect(await again.text()).not.toContain(secret);
      const list = await root.page(webhooksPath());
      expect(list).toContain(`data-webhook-id="${webhookId}"`);
      expect(list).not.toContain(secret.slice(6));

      const key = await gateway.createKey(accountId, { environment: 'sandbox', name: 'announced' });
      await expect.poll(() => received.find((message) => message.body.includes(key.id)), { timeout: 10_000, interval: 50 }).toBeDefined();
      const message = received.find((candidate) => candidate.body.includes(key.id))!;
      expect((new Webhook(secret).verify(message.body, message.headers) as { type: string }).type).toBe('key.created');
    });

    it('shows the delivery log: delivered, and failing with its attempts, last error and next attempt', async () => {
      const { webhookId } = await addWebhook(root, `${receiverUrl}/down`, ['key.created']);
      await gateway.createKey(accountId, { environment: 'sandbox', name: 'undeliverable' });
      await expect.poll(async () => (await apiDeliveries(webhookId))[0]?.attempts ?? 0, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(1);
      const [delivery] = await apiDeliveries(webhookId);
      expect(delivery).toMatchObject({ status: 'pending', lastStatus: 500 });

      const html = await root.page(`${webhooksPath()}/${webhookId}/deliveries`);
      const row = new RegExp(`<tr data-delivery-id="${delivery!.id}" data-status="pending">([\\s\\S]*?)</tr>`).exec(html)?.[1];
      expect(row).toBeDefined();
      expect(row).toContain('key.created');
      expect(row).toMatch(/\d+ attempts?/);
      expect(row).toContain('HTTP 500');
      if (delivery!.lastError) expect(row).toContain(delivery!.lastError);
      expect(row).toContain(`<time datetime="${delivery!.nextAttemptAt}"`);

      const delivered = (await apiWebhooks()).find((webhook) => webhook.url === `${receiverUrl}/ok`)!;
      await expect.poll(async () => (await apiDeliveries(delivered.id)).some((item) => item.status === 'delivered'), { timeout: 10_000 }).toBe(true);
      const log = await root.page(`${webhooksPath()}/${delivered.id}/deliveries`);
      expect(log).toMatch(/data-status="delivered">[\s\S]*?badge active">delivered[\s\S]*?1 attempt</);
    });

    it('deletes a webhook after a confirmation; the API no longer has it', async () => {
      const { webhookId } = await addWebhook(root, `${receiverUrl}/to-delete`);
      const confirmPath = `${webhooksPath()}/${webhookId}/delete`;
      const confirm = await root.page(confirmPath);
      expect(confirm).toContain('Delete this webhook?');
      expect(confirm).toContain(`${receiverUrl}/to-delete`);
      expect((await apiWebhooks()).map((webhook) => webhook.id)).toContain(webhookId);

      const deleted = await root.post(confirmPath);
      expect(deleted.status).toBe(303);
      expect(deleted.headers.get('location')).toBe(webhooksPath());
      expect(await root.page(webhooksPath())).toContain('Webhook deleted');
      expect((await apiWebhooks()).map((webhook) => webhook.id)).not.toContain(webhookId);
      expect((await gateway.admin('GET', `/accounts/${accountId}/webhooks/${webhookId}`)).status).toBe(404);
    });

    it.each([
      ['an empty URL', '', /Give the URL/],
      ['a URL of another scheme', 'ftp://example.com/hook', /The URL must be an http\(s\) URL/],
      ['a line break in the URL', 'https://example.com/ho\nok', /control or bidirectional formatting characters \(U\+000A\)/],
      ['a URL longer than 2048 characters', `https://example.com/${'a'.repeat(3000)}`, /Keep the URL to 2048 characters/],
    ])('refuses %s beside the field (400), keeping what was typed, and adds nothing', async (_, url, error) => {
      const before = (await apiWebhooks()).length;
      await root.page(webhooksPath());
      const response = await root.post(webhooksPath(), { url, events: 'key.created' });
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toMatch(/aria-describedby="url-error"/);
      expect(html).toMatch(/<input[^>]*autofocus[^>]*id="url"|<input[^>]*id="url"[^>]*autofocus/);
      expect(html).toMatch(error);
      expect(html).toMatch(/id="event-key.created" value="key.created" checked/);
      expect((await apiWebhooks()).length).toBe(before);
    });

    it('refuses a webhook past the account’s limit with the reason beside the URL (400), adding nothing', async () => {
      const crowded = (await gateway.createAccount('Crowded')).id;
      for (let i = 0; i < 16; i++) {
        expect((await gateway.admin('POST', `/accounts/${crowded}/webhooks`, { url: `${receiverUrl}/ok?n=${i}` })).status).toBe(201);
      }
      await root.page(webhooksPath(crowded));
      const response = await root.post(webhooksPath(crowded), { url: `${receiverUrl}/ok?n=16` });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/id="url-error"[^>]*>No more webhooks: this account already has 16 webhooks/);
      expect((await apiWebhooks(crowded)).length).toBe(16);
    });

    it('refuses an event that is not on the list, beside the events', async () => {
      await root.page(webhooksPath());
      const response = await root.post(webhooksPath(), { url: `${receiverUrl}/ok`, events: 'key.exploded' });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/aria-describedby="events-error"[\s\S]*id="events-error"[^>]*>Choose events from the list/);
    });

    it('lets a viewer read webhooks and their logs but not add or delete one', async () => {
      const [existing] = await apiWebhooks();
      const viewer = new ConsoleClient(gateway);
      await viewer.signIn((await createAdminTokenWithId(gateway, accountId, 'viewer', 'webhook viewer')).token);
      const html = await viewer.page(webhooksPath());
      expect(html).toContain(`data-webhook-id="${existing!.id}"`);
      expect(html).not.toContain('Add webhook');
      expect(html).not.toContain('/delete"');
      await viewer.page(`${webhooksPath()}/${existing!.id}/deliveries`);
      await viewer.page(`${webhooksPath()}/${existing!.id}/delete`, 403);
      expect((await viewer.post(`${webhooksPath()}/${existing!.id}/delete`)).status).toBe(403);
      expect((await viewer.post(webhooksPath(), { url: `${receiverUrl}/ok` })).status).toBe(403);
      expect((await apiWebhooks()).map((webhook) => webhook.id)).toContain(existing!.id);
    });

    it('answers another account’s webhook id in the URL with a 404 page, and deletes nothing', async () => {
      const created = await gateway.admin('POST', `/accounts/${otherAccountId}/webhooks`, { url: `${receiverUrl}/neighbour` });
      const neighbours = (await created.json()) as WebhookJson;
      for (const suffix of ['deliveries', 'delete', 'secret']) await root.page(`${webhooksPath()}/${neighbours.id}/${suffix}`, 404);
      expect((await root.post(`${webhooksPath()}/${neighbours.id}/delete`)).status).toBe(404);
      expect((await apiWebhooks(otherAccountId)).map((webhook) => webhook.id)).toContain(neighbours.id);

      // And the neighbour's own manager cannot reach this account's webhooks at all.
      const manager = new ConsoleClient(gateway);
      await manager.signIn((await createAdminTokenWithId(gateway, otherAccountId, 'manager')).token);
      await manager.page(webhooksPath(), 403);
      await root.page(`${webhooksPath()}/wh_notanid/deliveries`, 404);
    });

    it('refuses a delete without the CSRF token, and the webhook stays', async () => {
      const { webhookId } = await addWebhook(root, `${receiverUrl}/csrf`);
      const response = await root.request('POST', `${webhooksPath()}/${webhookId}/delete`, { form: {} });
      expect(response.status).toBe(403);
      expect((await apiWebhooks()).map((webhook) => webhook.id)).toContain(webhookId);
    });
  });
});
