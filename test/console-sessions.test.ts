// Issue 11 item 4: console sessions live on the server. The cookie holds a random id, never the admin token;
// signing out ends the session for every copy of the cookie; both deadlines (12 h, 1 h idle) are checked on the
// server whatever the browser keeps; sessions are shared by gateways on one Redis; Redis down is a 503 page.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { createAdminToken } from './support/admin-auth-suite.js';
import { ConsoleClient, setCookieHeaders } from './support/console-client.js';
import { movableClock } from './support/console-session-store-suite.js';
import { redisUrl, startGateway, type Gateway } from './support/gateway.js';
import { freePort, startRedisServer } from './support/redis-server.js';

const MINUTE = 60 * 1000;

/** A second browser that got hold of `client`'s cookie (a copied cookie file, a shared machine). */
function replayOf(client: ConsoleClient, gateway = client.gateway): ConsoleClient {
  const copy = new ConsoleClient(gateway);
  for (const [name, cookie] of client.cookies) copy.cookies.set(name, { ...cookie });
  return copy;
}

async function expectSignedIn(client: ConsoleClient, path: string): Promise<void> {
  const response = await client.request('GET', path);
  expect(response.status, `GET ${path}`).toBe(200);
}

async function expectSentToSignIn(client: ConsoleClient, path: string, notice: 'ended' | 'expired'): Promise<void> {
  const response = await client.request('GET', path);
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toBe(`/console/sign-in?notice=${notice}`);
}

describe('server-side console sessions', () => {
  const clock = movableClock();
  let gateway: Gateway;
  let accountId: string;
  let managerToken: string;

  beforeAll(async () => {
    gateway = await startGateway({ clock });
    accountId = (await gateway.createAccount('Sessions')).id;
    managerToken = await createAdminToken(gateway, accountId, 'manager');
  });
  afterAll(() => gateway.close());

  const keysPage = () => `/console/accounts/${accountId}/sandbox`;

  it('puts only a random session id in the cookie, never the admin token', async () => {
    for (const token of [gateway.rootToken, managerToken]) {
      const client = new ConsoleClient(gateway);
      const response = await client.signIn(token);
      const [cookie] = setCookieHeaders(response, 'keymint_console');
      const value = decodeURIComponent(/^keymint_console=([^;]*)/.exec(cookie!)![1]!);
      expect(value).toMatch(/^[0-9A-Za-z]{43}$/);
      expect(value).not.toContain(token);
      expect(value).not.toContain(token.slice(-24));
      // Two sign-ins with the same token are two sessions.
      const again = new ConsoleClient(gateway);
      await again.signIn(token);
      expect(again.cookies.get('keymint_console')!.value).not.toBe(client.cookies.get('keymint_console')!.value);
    }
  });

  it('refuses the cookie after sign-out, replayed from another browser too', async () => {
    const client = new ConsoleClient(gateway);
    await client.signIn(managerToken);
    const copy = replayOf(client);
    await expectSignedIn(copy, keysPage());

    await client.page(keysPage());
    const signedOut = await client.post('/console/sign-out');
    expect(signedOut.headers.get('location')).toBe('/console/sign-in?notice=signed-out');

    const replayedPost = replayOf(copy);
    await expectSentToSignIn(copy, keysPage(), 'ended');
    expect(copy.cookies.has('keymint_console')).toBe(false);
    // Nor can the replayed cookie change anything, CSRF token and all: its POST goes to sign-in.
    replayedPost.csrf = client.csrf;
    const created = await replayedPost.post(`/console/accounts/${accountId}/keys`, { environment: 'sandbox', name: 'replayed' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/console/sign-in?notice=ended');
    const keys = await gateway.admin('GET', `/accounts/${accountId}/keys`);
    expect(((await keys.json()) as { items: { name: string }[] }).items.map((key) => key.name)).not.toContain('replayed');
  });

  it('ends a session 12 hours after sign-in however busy, whatever the browser still sends', async () => {
    const client = new ConsoleClient(gateway);
    await client.signIn(managerToken);
    // Busy all day: a request every 50 minutes keeps it from idling out…
    for (let elapsed = 0; elapsed + 50 < 12 * 60; elapsed += 50) {
      clock.advance(50 * MINUTE);
      await expectSignedIn(client, keysPage());
    }
    // …until 12 hours have passed since sign-in. The store may forget a session at its absolute end (the
    // in-process store on this clock does), so the console tells the user it ended.
    clock.advance(25 * MINUTE);
    await expectSentToSignIn(replayOf(client), keysPage(), 'ended');
    await expectSentToSignIn(client, keysPage(), 'ended');
  });

  it('ends a session after an hour without a request', async () => {
    const client = new ConsoleClient(gateway);
    await client.signIn(gateway.rootToken);
    clock.advance(59 * MINUTE);
    await expectSignedIn(client, keysPage());
    clock.advance(59 * MINUTE);
    await expectSignedIn(client, keysPage());
    clock.advance(61 * MINUTE);
    await expectSentToSignIn(client, keysPage(), 'expired');
    expect((await client.page('/console/sign-in?notice=expired'))).toContain('Your session expired');
  });

  it('ends the sessions of an admin token that no longer authenticates', async () => {
    const doomed = await createAdminToken(gateway, accountId, 'manager');
    const client = new ConsoleClient(gateway);
    await client.signIn(doomed);
    await expectSignedIn(client, keysPage());
    // No API deletes admin tokens yet; removing the row is what a deletion will do.
    const database = new Database(join(gateway.directory, 'keymint.db'));
    const hashes = database.prepare('SELECT id FROM admin_tokens').all() as { id: string }[];
    database.prepare('DELETE FROM admin_tokens WHERE id = ?').run(hashes[hashes.length - 1]!.id);
    database.close();
    await expectSentToSignIn(client, keysPage(), 'ended');
  });

  it('treats a cookie from before server-side sessions (CSRF token and admin token) as an ended session', async () => {
    const client = new ConsoleClient(gateway);
    client.cookies.set('keymint_console', { value: `${'a'.repeat(32)}.${gateway.rootToken}`, path: '/console' });
    await expectSentToSignIn(client, keysPage(), 'ended');
  });
});

describe.skipIf(!redisUrl())('console sessions on a shared Redis', () => {
  it('a session started on one gateway works on another, and sign-out on either ends it on both', async () => {
    // Two nodes: one database, one root token, one Redis under one prefix.
    const rootToken = `root_${randomBase62(40)}`;
    const env = { KEYMINT_ADMIN_TOKEN: rootToken, KEYMINT_REDIS_PREFIX: `t${randomBase62(8)}` };
    const first = await startGateway({ sessions: 'redis', env });
    const second = await startGateway({ sessions: 'redis', env, directory: first.directory });
    try {
      const created = await first.admin('POST', '/accounts', { name: 'Shared' }, rootToken);
      const accountId = ((await created.json()) as { id: string }).id;
      const page = `/console/accounts/${accountId}/sandbox`;
      const onFirst = new ConsoleClient(first);
      await onFirst.signIn(rootToken);
      const onSecond = replayOf(onFirst, second);
      await expectSignedIn(onSecond, page);

      await onSecond.page(page);
      await onSecond.post('/console/sign-out');
      await expectSentToSignIn(onFirst, page, 'ended');
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('answers a 503 page, not a 500, while Redis is down, and works again when it is back', async () => {
    const port = await freePort();
    let redis: ChildProcess = await startRedisServer(port);
    const gateway = await startGateway({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    try {
      const accountId = (await gateway.createAccount('Outage')).id;
      const page = `/console/accounts/${accountId}/sandbox`;
      const client = new ConsoleClient(gateway);
      await client.signIn(gateway.rootToken);
      await expectSignedIn(client, page);

      redis.kill('SIGKILL');
      await new Promise((resolve) => redis.once('exit', resolve));
      const down = await client.request('GET', page);
      expect(down.status).toBe(503);
      expect(down.headers.get('content-type')).toMatch(/^text\/html/);
      expect(down.headers.get('retry-after')).toBe('1');
      expect(await down.text()).toContain('Temporarily unavailable');
      const fresh = new ConsoleClient(gateway);
      await fresh.page('/console/sign-in');
      const signIn = await fresh.post('/console/sign-in', { token: gateway.rootToken });
      expect(signIn.status).toBe(503);
      expect(await signIn.text()).toContain('Temporarily unavailable');

      redis = await startRedisServer(port);
      let back: Response | undefined;
      for (let attempt = 0; attempt < 50 && (back === undefined || back.status === 503); attempt++) {
        if (back) await new Promise((resolve) => setTimeout(resolve, 100));
        back = await client.request('GET', page);
      }
      // The session lived in the Redis that died (no persistence here): the cookie names no session any more.
      expect(back!.status).toBe(303);
      expect(back!.headers.get('location')).toBe('/console/sign-in?notice=ended');
      await client.signIn(gateway.rootToken);
      await expectSignedIn(client, page);
    } finally {
      redis.kill('SIGKILL');
      await gateway.close();
    }
  });
});
