// The PostgreSQL stores under concurrency from several nodes (each its own pool): the key limit holds, one
// active signing key per environment, one winner per rotation.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresUrl } from '../../../test/support/postgres.js';
import type { Environment } from '../../shared/domain.js';
import { createSigningKeyring } from '../../core/keyring.js';
import { createSealer } from '../../core/sealing.js';
import type { KeyRecord } from '../../ports/key-store.js';
import { SECRET_KEY_DEFAULTS } from '../../ports/testing/fixtures.js';
import type { SigningKeyRecord } from '../../ports/signing-key-store.js';
import { systemClock } from '../../ports/runtime.js';
import { PgKeyStore } from './pg-key-store.js';
import { PgSigningKeyStore } from './pg-signing-key-store.js';
import { openPostgresDatabase, type PostgresHandle } from './postgres-database.js';

describe.skipIf(!postgresUrl())('PostgreSQL stores shared by several nodes', () => {
  let url: string;
  // Five "nodes", each with its own pool of four connections to the same database.
  const nodes: PostgresHandle[] = [];
  let sql: postgres.Sql;
  beforeAll(async () => {
    url = await createTestDatabase();
    for (let i = 0; i < 5; i++) nodes.push(await openPostgresDatabase(url, { pool: 4 }));
    sql = postgres(url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await sql?.end();
  });

  it('lets exactly `limit` of 20 concurrent creates through, each with its audit entry', async () => {
    const stores = nodes.map((node) => new PgKeyStore(node.db));
    const key = (accountId: string, i: number): KeyRecord => ({
      id: `key_${String(i).padStart(2, '0')}_${accountId}`,
      accountId,
      environment: 'sandbox',
      name: `k${i}`,
      applicationId: `app_sbx_${randomUUID()}`,
      secretHash: randomUUID(),
      secretHint: 'abcd',
      scopes: [],
      status: 'active',
      expiresAt: null,
      createdAt: 1,
      updatedAt: 1,
      lastUsedAt: null,
      ...SECRET_KEY_DEFAULTS,
    });
    // Four accounts at once, 20 creates each spread over the five nodes: a race has many chances to show.
    const accounts = Array.from({ length: 4 }, () => `acct_${randomUUID()}`);
    for (const accountId of accounts) {
      await stores[0]!.createAccount({ id: accountId, name: 'Acme', createdAt: 1 }, { id: `op_${randomUUID()}`, accountId, environment: null, keyId: null, action: 'account.created', actor: 'root', at: 1 });
    }
    const attempts = accounts.flatMap((accountId) => Array.from({ length: 20 }, (_, i) => key(accountId, i)));
    const results = await Promise.all(
      attempts.map((attempt, i) =>
        stores[i % stores.length]!.insertKey(attempt, { perEnvironment: 3 }, {
          id: `op_${randomUUID()}`,
          accountId: attempt.accountId,
          environment: 'sandbox',
          keyId: attempt.id,
          action: 'key.created',
          actor: 'root',
          at: 2,
        }),
      ),
    );

    for (const accountId of accounts) {
      const accepted = attempts.filter((attempt, i) => results[i]!.ok && attempt.accountId === accountId).map((attempt) => attempt.id).sort();
      expect(accepted, accountId).toHaveLength(3);
      const rows = await sql<{ id: string }[]>`select id from api_keys where account_id = ${accountId} order by id`;
      const audited = await sql<{ key_id: string }[]>`
        select key_id from operations where account_id = ${accountId} and action = 'key.created' order by key_id`;
      expect(rows.map((row) => row.id)).toEqual(accepted);
      expect(audited.map((row) => row.key_id)).toEqual(accepted);
    }
  });

  const record = (environment: Environment, kid = `kid_${randomUUID()}`): SigningKeyRecord => ({
    kid,
    environment,
    alg: 'ES256',
    publicJwk: '{}',
    privateKey: '{}',
    status: 'active',
    createdAt: Date.now(),
    activatesAt: null,
    retiredAt: null,
    publishUntil: null,
  });
  const activeKids = async (environment: string) =>
    (await sql<{ kid: string }[]>`select kid from signing_keys where environment = ${environment} and status = 'active'`).map((row) => row.kid);

  it('lets one of five racing first inserts become the active signing key', async () => {
    const environment = `race_${randomUUID()}` as Environment;
    const results = await Promise.all(nodes.map((node) => new PgSigningKeyStore(node.db).insertActiveSigningKey(record(environment))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await activeKids(environment)).toHaveLength(1);
  });

  it('gives nodes starting together one shared active key', async () => {
    const environment = `race_${randomUUID()}` as Environment;
    const keyrings = await Promise.all(
      nodes.map(async (node) =>
        createSigningKeyring({
          store: new PgSigningKeyStore(node.db),
          audit: new PgKeyStore(node.db),
          sealer: await createSealer(undefined),
          clock: systemClock,
          algorithm: 'ES256',
          tokenLifetime: () => 3600,
          rotationDays: 0,
        }),
      ),
    );
    const active = await Promise.all(keyrings.map((keyring) => keyring.activeKey(environment)));
    const kids = new Set(active.map((key) => key.kid));
    expect(kids.size).toBe(1);
    expect(await activeKids(environment)).toEqual([...kids]);
  });

  it('lets one of five racing rotations of the same key win', async () => {
    const environment = `race_${randomUUID()}` as Environment;
    const first = record(environment);
    await new PgSigningKeyStore(nodes[0]!.db).insertActiveSigningKey(first);
    const candidates = nodes.map(() => record(environment));
    const results = await Promise.all(
      nodes.map((node, i) => new PgSigningKeyStore(node.db).rotateSigningKey(first.kid, Date.now(), Date.now() + 1000, candidates[i]!)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = candidates[results.indexOf(true)]!;
    expect(await activeKids(environment)).toEqual([winner.kid]);
    const kept = await sql<{ kid: string }[]>`select kid from signing_keys where environment = ${environment} order by created_at, kid`;
    expect(kept.map((row) => row.kid).sort()).toEqual([first.kid, winner.kid].sort());
  });
});
