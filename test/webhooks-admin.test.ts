// The webhooks of the admin API (SPEC §9): a `whsec_` secret shown once and stored sealed, URLs checked by the
// destination policy when a webhook is added, deletion audited, and the delivery log the outbox fills.
import Database from 'better-sqlite3';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { expectProblem, createAdminToken } from './support/admin-auth-suite.js';
import { startGateway, type Gateway } from './support/gateway.js';

const PUBLIC_URL = 'https://93.184.215.14/keymint';

interface WebhookJson {
  id: string;
  accountId: string;
  url: string;
  events: string[] | null;
  createdAt: string;
  secret?: string;
}

describe('webhooks in the admin API', () => {
  let gateway: Gateway;
  let accountId: string;
  beforeAll(async () => {
    gateway = await startGateway({ env: { KEYMINT_KEK: Buffer.from(randomBase62(32)).toString('base64url') } });
    accountId = (await gateway.createAccount('Hooked')).id;
  });
  afterAll(() => gateway.close());

  async function create(body: unknown, token?: string): Promise<Response> {
    return gateway.admin('POST', `/accounts/${accountId}/webhooks`, body, token);
  }

  it('adds a webhook with a whsec_ secret of at least 24 random bytes, shown once and stored sealed', async () => {
    const response = await create({ url: PUBLIC_URL, events: ['key.created', 'key.created', 'key.deleted'] });
    expect(response.status).toBe(201);
    const created = (await response.json()) as WebhookJson;
    expect(created).toMatchObject({ accountId, url: PUBLIC_URL, events: ['key.created', 'key.deleted'] });
    expect(created.id).toMatch(/^wh_/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(created.secret!.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);

    const shown = (await (await gateway.admin('GET', `/accounts/${accountId}/webhooks/${created.id}`)).json()) as WebhookJson;
    expect(shown).toEqual({ id: created.id, accountId, url: PUBLIC_URL, events: ['key.created', 'key.deleted'], createdAt: created.createdAt });
    const listed = (await (await gateway.admin('GET', `/accounts/${accountId}/webhooks`)).json()) as { items: WebhookJson[] };
    expect(listed.items.find((item) => item.id === created.id)).toEqual(shown);
    expect(JSON.stringify(listed)).not.toContain(created.secret!.slice('whsec_'.length));

    const db = new Database(join(gateway.directory, 'keymint.db'), { readonly: true });
    try {
      const row = db.prepare('select secret from webhooks where id = ?').get(created.id) as { secret: string };
      expect(row.secret.startsWith('v1.')).toBe(true);
      expect(row.secret).not.toContain(created.secret!.slice('whsec_'.length));
    } finally {
      db.close();
    }
  });

  it('lets a manager add one; a webhook without events receives every event', async () => {
    const manager = await createAdminToken(gateway, accountId, 'manager');
    const response = await create({ url: 'https://93.184.215.14/all' }, manager);
    expect(response.status).toBe(201);
    expect(((await response.json()) as WebhookJson).events).toBeNull();
  });

  it.each([
    ['a loopback address', 'http://127.0.0.1:8080/hook', /loopback/],
    ['a private address', 'https://10.1.2.3/hook', /private/],
    ['an IPv4-mapped IPv6 address', 'http://[::ffff:127.0.0.1]/hook', /IPv4-mapped/],
    ['localhost', 'http://localhost/hook', /names this machine/],
    ['a user name and password', 'https://user:pass@93.184.215.14/hook', /user name or password/],
    ['another scheme', 'ftp://93.184.215.14/hook', /http\(s\)/],
    ['no absolute URL', '/hook', /absolute/],
  ])('refuses %s with a 400 problem saying why', async (_, url, why) => {
    const before = ((await (await gateway.admin('GET', `/accounts/${accountId}/webhooks`)).json()) as { items: unknown[] }).items.length;
    const body = await expectProblem(await create({ url }), 400);
    expect(body.code).toBe('invalid_request');
    expect(body.detail).toMatch(why);
    const after = ((await (await gateway.admin('GET', `/accounts/${accountId}/webhooks`)).json()) as { items: unknown[] }).items.length;
    expect(after).toBe(before);
  });

  it('refuses a name that resolves to loopback (this machine\'s own host name, through /etc/hosts), without the address', async (context) => {
    const resolved = await lookup(hostname()).catch(() => null);
    if (!resolved?.address.startsWith('127.')) return context.skip(`${hostname()} does not resolve to a loopback address here`);
    const body = await expectProblem(await create({ url: `http://${hostname()}:8080/hook` }), 400);
    expect(body.detail).toContain('not public (loopback)');
    expect(body.detail).not.toContain(resolved.address);
  });

  it('refuses an unknown event type and unknown fields', async () => {
    await expectProblem(await create({ url: PUBLIC_URL, events: ['key.exploded'] }), 400);
    await expectProblem(await create({ url: PUBLIC_URL, secret: 'whsec_mine' }), 400);
  });

  it('logs a pending delivery for each event the webhook takes, newest first, by cursor', async () => {
    const hook = (await (await create({ url: PUBLIC_URL, events: ['key.created'] })).json()) as WebhookJson;
    const first = await gateway.createKey(accountId, { environment: 'sandbox', name: 'first' });
    await gateway.createKey(accountId, { environment: 'sandbox', name: 'second' });
    await gateway.admin('DELETE', `/accounts/${accountId}/keys/${first.id}`);

    const page = await gateway.admin('GET', `/accounts/${accountId}/webhooks/${hook.id}/deliveries?limit=1`);
    expect(page.status).toBe(200);
    const one = (await page.json()) as { items: Array<Record<string, unknown>>; nextCursor: string | null };
    expect(one.items).toHaveLength(1);
    expect(one.items[0]).toMatchObject({ eventType: 'key.created', status: 'pending', attempts: 0, deliveredAt: null });
    expect(one.items[0]!.id).toMatch(/^msg_/);
    expect(one.nextCursor).not.toBeNull();
    const rest = (await (
      await gateway.admin('GET', `/accounts/${accountId}/webhooks/${hook.id}/deliveries?cursor=${one.nextCursor}`)
    ).json()) as { items: Array<Record<string, unknown>>; nextCursor: string | null };
    // key.deleted is not among its events: two deliveries in all.
    expect(rest.items).toHaveLength(1);
    expect(rest.items[0]!.id).not.toBe(one.items[0]!.id);
    expect(rest.nextCursor).toBeNull();

    await expectProblem(await gateway.admin('GET', `/accounts/${accountId}/webhooks/${hook.id}/deliveries?cursor=nope`), 400);
  });

  it('deletes a webhook (audited): afterwards it is not found', async () => {
    const hook = (await (await create({ url: PUBLIC_URL })).json()) as WebhookJson;
    expect((await gateway.admin('DELETE', `/accounts/${accountId}/webhooks/${hook.id}`)).status).toBe(204);
    await expectProblem(await gateway.admin('GET', `/accounts/${accountId}/webhooks/${hook.id}`), 404);
    await expectProblem(await gateway.admin('GET', `/accounts/${accountId}/webhooks/${hook.id}/deliveries`), 404);
    await expectProblem(await gateway.admin('DELETE', `/accounts/${accountId}/webhooks/${hook.id}`), 404);
    const log = (await (await gateway.admin('GET', `/accounts/${accountId}/operations?limit=100`)).json()) as {
      items: Array<{ action: string }>;
    };
    expect(log.items.map((item) => item.action)).toEqual(expect.arrayContaining(['webhook.created', 'webhook.deleted']));
  });

  it('caps an account at 16 webhooks (409 limit_exceeded), so one token cannot fan a change out without end', async () => {
    const { id: crowded } = await gateway.createAccount('Crowded');
    const add = () => gateway.admin('POST', `/accounts/${crowded}/webhooks`, { url: PUBLIC_URL });
    const statuses = (await Promise.all(Array.from({ length: 20 }, add))).map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(16);
    const refused = await expectProblem(await add(), 409);
    expect(refused).toMatchObject({ code: 'limit_exceeded', detail: expect.stringContaining('16 webhooks') });
    const listed = (await (await gateway.admin('GET', `/accounts/${crowded}/webhooks`)).json()) as { items: WebhookJson[] };
    expect(listed.items).toHaveLength(16);
    // Deleting one makes room again.
    expect((await gateway.admin('DELETE', `/accounts/${crowded}/webhooks/${listed.items[0]!.id}`)).status).toBe(204);
    expect((await add()).status).toBe(201);
  });

  it("gives a manager of another account nothing of this account's webhooks", async () => {
    const hook = (await (await create({ url: PUBLIC_URL })).json()) as WebhookJson;
    const { id: otherAccount } = await gateway.createAccount('Other');
    const stranger = await createAdminToken(gateway, otherAccount, 'manager');
    // Through this account's paths: refused outright.
    for (const [method, path] of [
      ['GET', `/accounts/${accountId}/webhooks`],
      ['GET', `/accounts/${accountId}/webhooks/${hook.id}`],
      ['GET', `/accounts/${accountId}/webhooks/${hook.id}/deliveries`],
      ['DELETE', `/accounts/${accountId}/webhooks/${hook.id}`],
    ] as const) {
      expect((await gateway.admin(method, path, undefined, stranger)).status, `${method} ${path}`).toBe(403);
    }
    expect((await gateway.admin('POST', `/accounts/${accountId}/webhooks`, { url: PUBLIC_URL }, stranger)).status).toBe(403);
    // Through its own account's paths with this account's webhook id: not found, and still there afterwards.
    for (const [method, path] of [
      ['GET', `/accounts/${otherAccount}/webhooks/${hook.id}`],
      ['GET', `/accounts/${otherAccount}/webhooks/${hook.id}/deliveries`],
      ['DELETE', `/accounts/${otherAccount}/webhooks/${hook.id}`],
    ] as const) {
      await expectProblem(await gateway.admin(method, path, undefined, stranger), 404);
    }
    expect((await gateway.admin('GET', `/accounts/${accountId}/webhooks/${hook.id}`)).status).toBe(200);
  });

  it('refuses a URL longer than 2048 characters and a huge body as problems, never a 500', async () => {
    const long = await expectProblem(await create({ url: `https://93.184.215.14/${'a'.repeat(2100)}` }), 400);
    expect(long.code).toBe('invalid_request');
    const huge = await gateway.admin('POST', `/accounts/${accountId}/webhooks`, { url: PUBLIC_URL, events: Array(5_000).fill('key.created') });
    expect([400, 413]).toContain(huge.status);
    expect(huge.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 404 for a malformed webhook id and for an unknown account', async () => {
    await expectProblem(await gateway.admin('GET', `/accounts/${accountId}/webhooks/wh_nope`), 404);
    await expectProblem(await gateway.admin('POST', '/accounts/acct_0000000000000000000000/webhooks', { url: PUBLIC_URL }), 404);
    await expectProblem(await gateway.admin('GET', '/accounts/acct_0000000000000000000000/webhooks'), 404);
  });
});

describe('webhooks with KEYMINT_WEBHOOKS_ALLOW_PRIVATE=true', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ env: { KEYMINT_WEBHOOKS_ALLOW_PRIVATE: 'true' } });
  });
  afterAll(() => gateway.close());

  it('accepts a loopback receiver, but still no credentials in the URL', async () => {
    const { id } = await gateway.createAccount('Local');
    expect((await gateway.admin('POST', `/accounts/${id}/webhooks`, { url: 'http://127.0.0.1:9/hook' })).status).toBe(201);
    await expectProblem(await gateway.admin('POST', `/accounts/${id}/webhooks`, { url: 'http://a:b@127.0.0.1:9/hook' }), 400);
  });
});
