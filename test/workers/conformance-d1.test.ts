// The SQL stores on D1, inside workerd, against the KeyStore, SigningKeyStore and WebhookStore contracts.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SqlSigningKeyStore } from '../../src/adapters/sql/sql-signing-key-store.js';
import { SqlKeyStore, type SqlExecutor } from '../../src/adapters/sql/sql-store.js';
import { SqlWebhookStore } from '../../src/adapters/sql/sql-webhook-store.js';
import { isD1Outage, openD1Database } from '../../src/adapters/workers/d1-database.js';
import { controlledClock } from '../../src/ports/testing/fixtures.js';
import { describeKeyStoreContract } from '../../src/ports/testing/key-store.suite.js';
import { describeSigningKeyStoreContract } from '../../src/ports/testing/signing-key-store.suite.js';
import { describeWebhookStoreContract } from '../../src/ports/testing/webhook-store.suite.js';

// Named through the binding: the root typecheck sees this file without the Worker types.
type D1Database = typeof env.DB;
type D1PreparedStatement = ReturnType<D1Database['prepare']>;
type D1Result = Awaited<ReturnType<D1PreparedStatement['run']>>;

/**
 * The test D1 database, failing on demand as D1 does when it cannot be reached: every query and batch
 * rejects with D1's "Network connection lost." error. (Miniflare's D1 cannot be taken down for real.)
 */
class FailingD1 {
  broken = false;

  constructor(private readonly real: D1Database) {}

  check(): void {
    if (this.broken) throw new Error('D1_ERROR: Network connection lost.');
  }

  prepare(query: string): FailingStatement {
    return new FailingStatement(this, this.real.prepare(query));
  }

  async batch(statements: FailingStatement[]): Promise<D1Result[]> {
    this.check();
    return this.real.batch(statements.map((statement) => statement.real));
  }
}

class FailingStatement {
  constructor(
    private readonly database: FailingD1,
    readonly real: D1PreparedStatement,
  ) {}

  bind(...values: unknown[]): FailingStatement {
    return new FailingStatement(this.database, this.real.bind(...values));
  }

  async first(column?: string): Promise<unknown> {
    this.database.check();
    return column === undefined ? this.real.first() : this.real.first(column);
  }

  async all(): Promise<D1Result> {
    this.database.check();
    return this.real.all();
  }

  async raw(): Promise<unknown[][]> {
    this.database.check();
    return this.real.raw();
  }

  async run(): Promise<D1Result> {
    this.database.check();
    return this.real.run();
  }
}

/**
 * Every fixture shares the test D1 database (the suites make unique accounts and environments); siblings
 * are further handles on it, as other isolates hold.
 */
function d1Fixture<Store>(build: (executor: SqlExecutor) => Store) {
  const failing = new FailingD1(env.DB);
  return {
    store: build(openD1Database(failing as unknown as D1Database)),
    clock: controlledClock(),
    sibling: () => build(openD1Database(env.DB)),
    outage: { store: 'd1' as const, begin: () => void (failing.broken = true) },
  };
}

describeKeyStoreContract('SqlKeyStore on D1', () => d1Fixture((executor) => new SqlKeyStore(executor)));
describeSigningKeyStoreContract('SqlSigningKeyStore on D1', () => d1Fixture((executor) => new SqlSigningKeyStore(executor)));
describeWebhookStoreContract('SqlWebhookStore on D1', () =>
  d1Fixture((executor) => ({ webhooks: new SqlWebhookStore(executor), keys: new SqlKeyStore(executor) })),
);

describe('D1 errors', () => {
  it("tells a statement's own faults from D1 being unavailable, as D1 words them", async () => {
    // A real constraint failure from D1, as drizzle wraps it.
    const id = `acct_${crypto.randomUUID()}`;
    await env.DB.prepare('insert into accounts (id, name, created_at) values (?, ?, ?)').bind(id, 'A', 1).run();
    const constraint: unknown = await env.DB.prepare('insert into accounts (id, name, created_at) values (?, ?, ?)')
      .bind(id, 'A', 1)
      .run()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isD1Outage(constraint)).toBe(false);
    expect(isD1Outage(new Error('Failed query: select 1', { cause: constraint }))).toBe(false);
    const syntax: unknown = await env.DB.prepare('selekt 1').all().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isD1Outage(syntax)).toBe(false);

    for (const message of [
      'D1_ERROR: Network connection lost.',
      'D1_ERROR: D1 DB is overloaded. Too many requests queued.',
      'D1_ERROR: D1 DB reset because its code was updated.',
      'D1_ERROR: Internal error while starting up D1 DB storage caused object to be reset.',
      'D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.',
    ]) {
      expect(isD1Outage(new Error('Failed query: select 1', { cause: new Error(message) }))).toBe(true);
    }
    // A bug of ours on the way (a TypeError) is not D1's outage.
    expect(isD1Outage(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
  });
});
