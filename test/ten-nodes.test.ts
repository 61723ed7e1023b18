// Ten gateway nodes starting at once on an empty PostgreSQL database (SPEC §6): the migrations run once, under their
// lock; each environment gets exactly one signing key; all ten publish the same JWKS and verify each other's tokens.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBase62 } from '../src/shared/encoding.js';
import { basic, redisUrl } from './support/gateway.js';
import { spawnKeymint, type KeymintProcess } from './support/keymint-process.js';
import { createTestDatabase, postgresUrl } from './support/postgres.js';
import { freePort } from './support/redis-server.js';
import { buildServerBundle, type ServerBundle } from './support/server-bundle.js';

const ROOT = `root_${randomBase62(40)}`;
const NODES = 10;

describe.skipIf(!postgresUrl() || !redisUrl())('ten nodes starting at once on an empty database', { timeout: 240_000 }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'keymint-ten-nodes-'));
  let bundle: ServerBundle | undefined;
  const nodes: KeymintProcess[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    bundle?.remove();
    rmSync(directory, { recursive: true, force: true });
  });

  it('migrate once, make one signing key per environment, and answer the same JWKS', async () => {
    const [database, ports, built] = await Promise.all([
      createTestDatabase(),
      Promise.all(Array.from({ length: NODES }, () => freePort())),
      buildServerBundle(),
    ]);
    bundle = built;
    const env = {
      KEYMINT_DATABASE: database,
      KEYMINT_ADMIN_TOKEN: ROOT,
      KEYMINT_SECRET_PEPPER: `pepper_${randomBase62(40)}`,
      REDIS_URL: redisUrl()!,
      KEYMINT_REDIS_PREFIX: `ten${randomBase62(8)}`,
      // Ten processes on one test machine: small pools.
      KEYMINT_DATABASE_POOL: '2',
      // The one address clients use (behind a load balancer): the issuer in every node's tokens.
      KEYMINT_PUBLIC_URL: 'https://keymint.example',
    };
    const spawnedAt = performance.now();
    for (const port of ports) nodes.push(spawnKeymint({ directory, port, entry: bundle.entry, env }));
    await Promise.all(nodes.map((node) => node.ready()));
    console.log(`ten nodes: all ten serving ${Math.round(performance.now() - spawnedAt)} ms after they were spawned together`);

    const sql = postgres(database, { max: 1, onnotice: () => {} });
    try {
      // Every migration once in drizzle's journal: nodes that raced past the lock would have failed to start.
      const journal = JSON.parse(readFileSync('db/pg-migrations/meta/_journal.json', 'utf8')) as { entries: unknown[] };
      const [applied] = await sql<{ count: string }[]>`select count(*) from drizzle.__drizzle_migrations`;
      expect(Number(applied!.count)).toBe(journal.entries.length);
      const perEnvironment = await sql<{ environment: string; status: string; count: string }[]>`
        select environment, status, count(*) from signing_keys group by environment, status order by environment`;
      expect(perEnvironment.map((row) => ({ ...row, count: Number(row.count) }))).toEqual([
        { environment: 'production', status: 'active', count: 1 },
        { environment: 'sandbox', status: 'active', count: 1 },
      ]);
    } finally {
      await sql.end();
    }

    for (const environment of ['sandbox', 'production']) {
      const sets = await Promise.all(
        nodes.map(async (node) => (await (await fetch(`${node.url}/${environment}/.well-known/jwks.json`)).json()) as { keys: unknown[] }),
      );
      expect(sets[0]!.keys).toHaveLength(1);
      for (const set of sets) expect(set).toEqual(sets[0]);
    }

    // A key made on one node mints on another, and the token verifies on a third (introspection).
    const admin = (path: string, body: unknown) =>
      fetch(`${nodes[0]!.url}/admin/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ROOT}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((response) => response.json() as Promise<Record<string, string>>);
    const account = await admin('/accounts', { name: 'ten' });
    const key = await admin(`/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'k' });
    const minted = await fetch(`${nodes[4]!.url}/sandbox/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(key.applicationId!, key.applicationSecret!), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(minted.status).toBe(200);
    const { access_token: token } = (await minted.json()) as { access_token: string };
    const introspected = await fetch(`${nodes[9]!.url}/sandbox/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: basic(key.applicationId!, key.applicationSecret!), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(((await introspected.json()) as { active: boolean }).active).toBe(true);
  });
});
