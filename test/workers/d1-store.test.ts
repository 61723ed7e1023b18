// The drizzle store on D1: db.batch() as the all-or-nothing executor, and one active signing key under racing isolates.
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openD1Database } from '../../src/adapters/workers/d1-database.js';
import { SqlSigningKeyStore } from '../../src/adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore } from '../../src/adapters/sql/sql-store.js';
import type { Environment } from '../../src/shared/domain.js';
import { createSigningKeyring } from '../../src/core/keyring.js';
import { createSealer } from '../../src/core/sealing.js';
import { systemClock } from '../../src/ports/runtime.js';

// Signing keys are per environment; a made-up environment name keeps these races away from the other tests' keys.
function freshEnvironment(): Environment {
  return `race_${crypto.randomUUID()}` as Environment;
}

async function activeKids(environment: Environment): Promise<string[]> {
  const { results } = await env.DB.prepare("select kid from signing_keys where environment = ? and status = 'active'")
    .bind(environment)
    .all<{ kid: string }>();
  return results.map((row: { kid: string }) => row.kid);
}

describe('D1 executor', () => {
  it('reports the rows each statement changed', async () => {
    const executor = openD1Database(env.DB);
    const id = `acct_${crypto.randomUUID()}`;
    const changed = await executor.atomic([
      sql`insert into accounts (id, name, created_at) values (${id}, ${'A'}, ${1})`,
      sql`update accounts set name = ${'B'} where id = ${id}`,
      sql`update accounts set name = ${'C'} where id = ${'acct_missing'}`,
    ]);
    expect(changed).toEqual([1, 1, 0]);
  });

  it('commits all statements of a batch or none', async () => {
    const executor = openD1Database(env.DB);
    const id = `acct_${crypto.randomUUID()}`;
    const failing = executor.atomic([
      sql`insert into accounts (id, name, created_at) values (${id}, ${'first'}, ${1})`,
      sql`insert into accounts (id, name, created_at) values (${id}, ${'duplicate'}, ${1})`,
    ]);
    await expect(failing).rejects.toThrow();
    const row = await env.DB.prepare('select id from accounts where id = ?').bind(id).first();
    expect(row).toBeNull();
  });
});

describe('signing keys on D1', () => {
  it('lets only one of two racing inserts become the active key (partial unique index)', async () => {
    const store = new SqlSigningKeyStore(openD1Database(env.DB));
    const environment = freshEnvironment();
    const record = (kid: string) => ({
      kid,
      environment,
      alg: 'ES256',
      publicJwk: '{}',
      privateKey: '{}',
      status: 'active' as const,
      createdAt: Date.now(),
      activatesAt: null,
      retiredAt: null,
      publishUntil: null,
    });
    const results = await Promise.all([
      store.insertActiveSigningKey(record(`kid_${crypto.randomUUID()}`)),
      store.insertActiveSigningKey(record(`kid_${crypto.randomUUID()}`)),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await activeKids(environment)).toHaveLength(1);
  });

  it('gives isolates starting together one shared active key', async () => {
    const environment = freshEnvironment();
    // Each keyring stands for a fresh isolate: its own store and cache, the same D1 database.
    const isolates = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const database = openD1Database(env.DB);
        return createSigningKeyring({
          store: new SqlSigningKeyStore(database),
          audit: new SqlKeyStore(database),
          sealer: await createSealer(env.KEYMINT_KEK),
          clock: systemClock,
          algorithm: 'ES256',
          tokenLifetime: () => 3600,
          rotationDays: 0,
        });
      }),
    );
    const active = await Promise.all(isolates.map((keyring) => keyring.activeKey(environment)));
    const kids = new Set(active.map((key) => key.kid));
    expect(kids.size).toBe(1);
    expect(await activeKids(environment)).toEqual([...kids]);
  });
});
