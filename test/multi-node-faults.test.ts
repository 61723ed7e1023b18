// Two gateway nodes through faults (SPEC §6): PostgreSQL stopped under both (minting 503 temporarily_unavailable, the
// admin API 503 problem JSON, JWKS and stateless verification going on from memory, both back without a restart), and
// one node SIGKILLed during concurrent admin writes over both (every write answered 2xx is in the database with its
// audit entry, and the per-environment key limit holds). On a PostgreSQL of their own: the run's must not stop.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { redisUrl } from './support/gateway.js';
import { spawnKeymint, type KeymintProcess } from './support/keymint-process.js';
import { nodeCalls, until } from './support/node-calls.js';
import { postgresUrl } from './support/postgres.js';
import { startPostgresServer, type PostgresServer } from './support/postgres-server.js';
import { freePorts } from './support/redis-server.js';
import { buildServerBundle, type ServerBundle } from './support/server-bundle.js';

const ROOT = `root_${randomBase62(40)}`;
const KEYS_PER_ENVIRONMENT = 5;

describe.skipIf(!postgresUrl() || !redisUrl())('two gateway nodes through faults', { timeout: 60_000 }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-node-faults-'));
  let server: PostgresServer | undefined;
  let bundle: ServerBundle | undefined;
  let nodes: KeymintProcess[] = [];
  const { admin, mint, newAccount, newKey } = nodeCalls(ROOT);

  beforeAll(async () => {
    let ports: number[];
    [server, bundle, ports] = await Promise.all([startPostgresServer(), buildServerBundle(), freePorts(2)]);
    const env = {
      KEYMINT_DATABASE: server.url,
      KEYMINT_ADMIN_TOKEN: ROOT,
      KEYMINT_SECRET_PEPPER: `pepper_${randomBase62(40)}`,
      REDIS_URL: redisUrl()!,
      KEYMINT_REDIS_PREFIX: `f${randomBase62(8)}`,
      KEYMINT_PUBLIC_URL: 'https://keymint.example',
      KEYMINT_KEYS_PER_ENVIRONMENT: String(KEYS_PER_ENVIRONMENT),
    };
    nodes = ports.map((port, i) => {
      const own = join(directory, `node-${i}`);
      mkdirSync(own);
      return spawnKeymint({ directory: own, port, entry: bundle!.entry, env });
    });
    await Promise.all(nodes.map((node) => node.ready()));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await server?.destroy();
    bundle?.remove();
    rmSync(directory, { recursive: true, force: true });
  });

  it('PostgreSQL stopped: both nodes answer 503 on minting and the admin API, serve JWKS, and recover without a restart', async () => {
    const [a, b] = nodes as [KeymintProcess, KeymintProcess];
    const accountId = await newAccount(a);
    const key = await newKey(a, accountId);
    const minted = await mint(b, key);
    expect(minted.status).toBe(200);
    const { access_token: token } = (await minted.json()) as { access_token: string };
    const jwksBefore = await (await fetch(`${a.url}/sandbox/.well-known/jwks.json`)).json();

    await server!.stop();
    for (const node of nodes) {
      const refused = await mint(node, key);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'the database is unavailable; retry shortly' });

      const listed = await admin(node, 'GET', `/accounts/${accountId}/keys`);
      expect(listed.status).toBe(503);
      expect(listed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await listed.json()).toMatchObject({ status: 503, detail: 'the database is unavailable; retry shortly' });

      // Signing keys are held in memory: each node's JWKS answers as before, and the token minted before verifies.
      const served = await fetch(`${node.url}/sandbox/.well-known/jwks.json`);
      expect(served.status).toBe(200);
      const jwks = (await served.json()) as JSONWebKeySet;
      expect(jwks).toEqual(jwksBefore);
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'https://keymint.example/sandbox' });
      expect(payload.sub).toBe(key.applicationId);
      expect((await fetch(`${node.url}/readyz`)).status).toBe(503);
    }

    await server!.start();
    // Each node's pool reconnects on its own: no restart.
    for (const node of nodes) {
      await until('minting again after PostgreSQL is back', async () => ((await mint(node, key)).status === 200 ? true : undefined), 15_000);
      expect((await admin(node, 'GET', `/accounts/${accountId}/keys`)).status).toBe(200);
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    }
  });

  it('a node SIGKILLed during concurrent admin writes loses no write it answered 2xx, and the key limit holds', async () => {
    const [a, b] = nodes as [KeymintProcess, KeymintProcess];
    const accounts = await Promise.all(Array.from({ length: 4 }, () => newAccount(b)));
    const answered = { keys: [] as string[], accounts: [] as string[] };
    const outcomes: (number | 'dropped')[] = [];
    const writes: Promise<void>[] = [];
    const write = (node: KeymintProcess, path: string, body: unknown, created: string[]) =>
      writes.push(
        admin(node, 'POST', path, body).then(
          async (response) => {
            outcomes.push(response.status);
            if (response.status === 201) created.push(((await response.json()) as { id: string }).id);
          },
          () => void outcomes.push('dropped'),
        ),
      );
    let killedAt = -1;
    for (let i = 0; i < 120; i++) {
      // Both nodes, every account from both, a new account now and then; A is killed a quarter of the way in.
      const node = i % 2 === 0 ? a : b;
      if (i % 10 === 9) write(node, '/accounts', { name: `during-${i}` }, answered.accounts);
      else write(node, `/accounts/${accounts[Math.floor(i / 2) % accounts.length]}/keys`, { environment: 'sandbox', name: `race-${i}` }, answered.keys);
      if (i === 30) {
        a.child.kill('SIGKILL');
        killedAt = outcomes.length;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(writes);
    await a.exited;
    const count = (wanted: number | 'dropped') => outcomes.filter((outcome) => outcome === wanted).length;
    console.log(`node killed during writes: ${count(201)} created, ${count(409)} refused at the limit, ${count('dropped')} dropped with the node (${killedAt} answered before the kill)`);
    // Some writes were in flight or sent after the kill; B answered every one it got, none with a 5xx.
    expect(outcomes.filter((outcome) => outcome === 'dropped').length).toBeGreaterThan(0);
    expect(killedAt).toBeGreaterThanOrEqual(0);
    expect(outcomes.filter((outcome) => outcome !== 'dropped' && outcome >= 500)).toEqual([]);
    expect(answered.keys.length).toBeGreaterThan(0);

    const sql = postgres(server!.url, { max: 1, onnotice: () => {} });
    try {
      const keys = await sql<{ id: string }[]>`select id from api_keys where id in ${sql(answered.keys)}`;
      expect(keys.map((row) => row.id).sort()).toEqual([...answered.keys].sort());
      const keyAudit = await sql<{ key_id: string }[]>`select key_id from operations where action = 'key.created' and key_id in ${sql(answered.keys)}`;
      expect(keyAudit.map((row) => row.key_id).sort()).toEqual([...answered.keys].sort());
      if (answered.accounts.length > 0) {
        const made = await sql<{ id: string }[]>`select id from accounts where id in ${sql(answered.accounts)}`;
        expect(made).toHaveLength(answered.accounts.length);
      }
      const perAccount = await sql<{ account_id: string; count: string }[]>`
        select account_id, count(*) from api_keys where account_id in ${sql(accounts)} and environment = 'sandbox' group by account_id`;
      for (const row of perAccount) expect(Number(row.count)).toBeLessThanOrEqual(KEYS_PER_ENVIRONMENT);
      // B alone reached every account often enough to fill it: the limit was reached, and held.
      expect(perAccount.map((row) => Number(row.count))).toEqual(Array(accounts.length).fill(KEYS_PER_ENVIRONMENT));
    } finally {
      await sql.end();
    }
  });
});
