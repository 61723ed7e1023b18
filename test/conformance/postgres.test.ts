// The PostgreSQL stores (postgres.js, the run's real server; a fresh database per fixture) against the
// KeyStore, SigningKeyStore and WebhookStore contracts. Siblings are other pools on the same database, as other nodes are.
import { describe } from 'vitest';
import { openPostgresDatabase, type PostgresHandle } from '../../src/adapters/postgres/postgres-database.js';
import { PgKeyStore } from '../../src/adapters/postgres/pg-key-store.js';
import { PgSigningKeyStore } from '../../src/adapters/postgres/pg-signing-key-store.js';
import { PgWebhookStore } from '../../src/adapters/postgres/pg-webhook-store.js';
import { controlledClock } from '../../src/ports/testing/fixtures.js';
import { describeKeyStoreContract } from '../../src/ports/testing/key-store.suite.js';
import { describeSigningKeyStoreContract } from '../../src/ports/testing/signing-key-store.suite.js';
import { describeWebhookStoreContract } from '../../src/ports/testing/webhook-store.suite.js';
import { createTestDatabase, postgresUrl } from '../support/postgres.js';

function postgresFixture<Store>(build: (handle: PostgresHandle) => Store) {
  return async () => {
    const url = await createTestDatabase();
    const own = await openPostgresDatabase(url, { pool: 4 });
    // A second pool on the same database, opened now: the suites ask for siblings synchronously.
    const other = await openPostgresDatabase(url, { pool: 4, migrate: false });
    const handles = [own, other];
    return {
      store: build(own),
      clock: controlledClock(),
      sibling: () => build(other),
      outage: { store: 'postgres' as const, begin: () => own.close() },
      async dispose() {
        await Promise.all(handles.map((handle) => handle.close()));
      },
    };
  };
}

describe.skipIf(postgresUrl() === null)('PostgreSQL', () => {
  describeKeyStoreContract('PgKeyStore on PostgreSQL', postgresFixture((handle) => new PgKeyStore(handle.db)));
  describeSigningKeyStoreContract(
    'PgSigningKeyStore on PostgreSQL',
    postgresFixture((handle) => new PgSigningKeyStore(handle.db)),
  );
  describeWebhookStoreContract(
    'PgWebhookStore on PostgreSQL',
    postgresFixture((handle) => ({ webhooks: new PgWebhookStore(handle.db), keys: new PgKeyStore(handle.db) })),
  );
});
