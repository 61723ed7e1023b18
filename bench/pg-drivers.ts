// Which PostgreSQL driver under drizzle: postgres (postgres.js) or pg (node-postgres), timed on the two
// statements the key store runs most — the key look-up by application ID (every token request) and the
// limited key insert (a transaction: advisory lock, conditional INSERT, audit INSERT).
// Run: npx tsx bench/pg-drivers.ts [iterations] [rounds]  (starts its own PostgreSQL; `pg` must be installed:
// npm install --no-save pg@8.23.1).
import { and, eq, sql } from 'drizzle-orm';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgresJs } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from '../db/pg/schema.js';
import { startPostgresServer } from '../test/support/postgres-server.js';

const iterations = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 4);
const { apiKeys, operations } = schema;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = any;

async function measure(name: string, run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await run(i); // warm-up
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await run(i);
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const perCall = (elapsed * 1000) / iterations;
  const cpuPerCall = (used.user + used.system) / iterations;
  console.log(`${name.padEnd(34)} ${perCall.toFixed(0).padStart(5)} µs/call  ${cpuPerCall.toFixed(0).padStart(5)} µs CPU/call (this process)`);
  return perCall;
}

async function run(driver: string, db: Db, prefix: string) {
  // A realistic table: 10,000 keys over 2,500 accounts.
  await db.execute(sql`insert into accounts select 'acct_' || g, 'a', 1 from generate_series(1, 2500) g`);
  await db.execute(sql`insert into api_keys select 'key_' || g, 'acct_' || (g % 2500 + 1), 'sandbox', 'k', 'app_sbx_' || g, 'h' || g, 'abcd', '["read"]', 'active', null, 1, 1, null from generate_series(1, 10000) g`);
  const lookUp = db.select().from(apiKeys).where(eq(apiKeys.applicationId, sql.placeholder('value'))).limit(1).prepare(`${prefix}_look_up`);
  await measure(`${driver}: key look-up`, (i) => lookUp.execute({ value: `app_sbx_${(i % 10000) + 1}` }));
  let n = 0;
  await measure(`${driver}: limited insert + audit`, async () => {
    const id = `key_new_${prefix}_${n++}`;
    const account = `acct_${(n % 2500) + 1}`;
    await db.transaction(async (tx: Db) => {
      await tx.execute(sql`select pg_advisory_xact_lock(1, hashtext(${account} || '/sandbox'))`);
      const inserted = await tx.execute(sql`insert into ${apiKeys} (id, account_id, environment, name, application_id, secret_hash, secret_hint, scopes, status, expires_at, created_at, updated_at, last_used_at)
        select ${id}, ${account}, 'sandbox', 'n', ${`app_${id}`}, ${`h_${id}`}, 'abcd', '[]', 'active', null, 1, 1, null
        where (select count(*) from ${apiKeys} where ${and(eq(apiKeys.accountId, account), eq(apiKeys.environment, 'sandbox'))}) < 1000000`);
      void inserted;
      await tx.insert(operations).values({ id: `op_${id}`, accountId: account, environment: 'sandbox', keyId: id, action: 'key.created', actor: 'root', at: 1 });
    });
  });
}

const server = await startPostgresServer();
try {
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  const base = server.url.replace(/\/keymint$/, '');
  for (const name of ['postgres_js', 'node_postgres']) {
    await admin.unsafe(`create database ${name}`);
    const migrator = postgres(`${base}/${name}`, { max: 1, onnotice: () => {} });
    await migratePostgresJs(drizzlePostgresJs(migrator), { migrationsFolder: 'db/pg-migrations' });
    await migrator.end();
  }
  await admin.end();
  // One connection each: the statements' latency, not a pool's parallelism, is what is compared.
  const client = postgres(`${base}/postgres_js`, { max: 1, onnotice: () => {} });
  const db1 = drizzlePostgresJs(client, { schema });
  // Not a dependency of keymint (postgres.js won): install it for this script alone.
  const nodePostgres = 'pg';
  const pg = (await import(nodePostgres)).default;
  const pool = new pg.Pool({ connectionString: `${base}/node_postgres`, max: 1 });
  pool.on('error', () => {}); // the server going away at the end
  const db2 = drizzleNodePostgres(pool, { schema });
  for (let round = 0; round < rounds; round++) {
    console.log(`round ${round + 1}, ${iterations} calls each`);
    // Alternating which goes first, so a change in the machine's other load hits both alike.
    const order: [string, Db, string][] = [['postgres.js', db1, `a${round}`], ['pg', db2, `b${round}`]];
    for (const [name, db, prefix] of round % 2 ? order.reverse() : order) await run(name, db, prefix);
    for (const db of [db1, db2]) await db.execute(sql`truncate api_keys, operations, admin_tokens, accounts`);
  }
  await client.end();
  await pool.end();
} finally {
  await server.destroy();
}
