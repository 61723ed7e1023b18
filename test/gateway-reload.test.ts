// Config reload on SIGHUP (SPEC §7) in a real keymint process: the services in KEYMINT_ROUTES_FILE are read again and
// swapped in whole while requests are in flight, none dropped; an invalid file is logged and the services in force kept.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { basic } from './support/gateway.js';
import { startKeymintProcess, type KeymintProcess } from './support/keymint-process.js';
import { freePort } from './support/redis-server.js';
import { startUpstream, type Echo, type Upstream } from './support/upstream.js';

describe('SIGHUP reloads the services', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-reload-'));
  const routesFile = join(directory, 'routes.json');
  const root = `root_${randomBase62(40)}`;
  const upstreams: Upstream[] = [];
  let running: KeymintProcess | undefined;
  afterAll(async () => {
    await running?.stop('SIGKILL');
    await Promise.all(upstreams.map((upstream) => upstream.close()));
    rmSync(directory, { recursive: true, force: true });
  });

  const writeServices = (services: unknown) => writeFileSync(routesFile, JSON.stringify({ sandbox: { services } }));

  it('routes new calls by the new table, finishes calls in flight on the old one, and keeps it when the file is bad', { timeout: 120_000 }, async () => {
    const [before, after] = await Promise.all([startUpstream(), startUpstream()]);
    upstreams.push(before, after);
    writeServices([{ name: 'api', path: '/', upstream: before.url }]);
    const port = await freePort();
    running = await startKeymintProcess({
      directory,
      port,
      env: { KEYMINT_ADMIN_TOKEN: root, KEYMINT_PUBLIC_URL: `http://127.0.0.1:${port}`, KEYMINT_ROUTES_FILE: routesFile },
    });
    const gateway = running;
    const base = gateway.url;
    const admin = async (path: string, body: unknown) =>
      (await fetch(`${base}/admin/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => response.json())) as Record<string, string>;
    const account = await admin('/accounts', { name: 'Reloaded' });
    const key = await admin(`/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'k' });
    const minted = await fetch(`${base}/sandbox/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(key.applicationId!, key.applicationSecret!), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const auth = { authorization: `Bearer ${((await minted.json()) as { access_token: string }).access_token}` };
    const call = (path: string) => fetch(`${base}/sandbox/api${path}`, { headers: auth });
    const reloads = () => gateway.output().split('\n').filter((line) => line.includes('"services reloaded"')).length;

    // Calls in flight: the old upstream has answered their headers and holds their bodies.
    const inFlight = await Promise.all(Array.from({ length: 5 }, () => call('/drip')));
    expect(inFlight.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);

    writeServices([
      { name: 'api', path: '/', upstream: after.url },
      { name: 'reports', path: '/reports', upstream: after.url, stripPrefix: true },
    ]);
    // Calls arriving around the swap get an answer from one table or the other, never an error.
    const around = Array.from({ length: 30 }, (_, i) => call(`/around/${i}`));
    gateway.child.kill('SIGHUP');
    expect((await Promise.all(around)).map((response) => response.status)).toEqual(Array(30).fill(200));
    await expect.poll(reloads, { timeout: 20_000 }).toBe(1);

    expect(((await (await call('/reports/7')).json()) as Echo).url).toBe('/7');
    expect(((await (await call('/new')).json()) as Echo).url).toBe('/new');
    expect(after.seen.map((seen) => seen.url)).toEqual(expect.arrayContaining(['/7', '/new']));

    // The calls that began on the old table finish there, whole.
    for (const seen of before.seen.filter((request) => request.url === '/drip')) seen.release();
    expect(await Promise.all(inFlight.map((response) => response.text()))).toEqual(Array(5).fill('first-chunk|rest'));

    // A bad file: logged, naming the field, and the table in force stays.
    writeServices([{ name: 'api', path: '/', upstream: 'ftp://nowhere' }]);
    gateway.child.kill('SIGHUP');
    await expect.poll(() => gateway.output(), { timeout: 20_000 }).toContain('configuration reload refused');
    expect(gateway.output()).toContain('KEYMINT_ROUTES_FILE: sandbox.services[0].upstream: must be an http(s) URL');
    expect(((await (await call('/reports/8')).json()) as Echo).url).toBe('/8');
    expect(reloads()).toBe(1);
    expect(gateway.child.exitCode).toBeNull();
  });
});
