import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { configDefaults, defineConfig } from 'vitest/config';
import { findPostgresBin } from './test/support/postgres-server.js';
import { hasRedisCluster } from './test/support/redis-cluster.js';

const WORKER_TESTS = 'test/workers/**/*.test.ts';
// The HTTP contract (SPEC §2, §4): run a second time on the in-process session store, the default of `npm start`
// (the node project runs them on Redis whenever redis-server is installed, as in CI).
const CONTRACT_TESTS = ['test/oauth-*.test.ts', 'test/admin-*.test.ts', 'test/lifecycle.test.ts', 'test/isolation.test.ts'];
// And once more on two keymint processes (the server bundle) on PostgreSQL + Redis Cluster, each request sent to the
// other node than the last (SPEC §6; test/support/two-node-gateway.ts): where both servers are installed.
const TWO_NODES = findPostgresBin() !== null && hasRedisCluster();
if (!TWO_NODES) console.warn('PostgreSQL or redis-server not found: the contract suites do not run on two nodes');
// Tests of the Worker bundle that drive wrangler and Miniflare from Node.
const WORKER_BUNDLE_TESTS = 'test/workers/**/*.node.test.ts';

export default defineConfig({
  test: {
    // Most files wait on servers, processes and sockets rather than the CPU: on a 2-core machine vitest's default
    // (cores − 1) ran them one at a time.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, WORKER_TESTS],
          globalSetup: ['test/support/servers.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'node-memory',
          include: CONTRACT_TESTS,
          // No redis-server here: test gateways keep sessions, the issuance cache and failure counters in process.
          provide: { sessionStore: 'memory' },
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      ...(TWO_NODES
        ? [
            {
              test: {
                name: 'node-two-nodes',
                include: CONTRACT_TESTS,
                // The servers are the node project's (started once for both), plus the bundle the nodes run.
                globalSetup: ['test/support/servers.ts', 'test/support/two-node-setup.ts'],
                provide: { gatewayTopology: 'two-nodes' as const },
                testTimeout: 30_000,
                hookTimeout: 90_000,
              },
            },
          ]
        : []),
      {
        // The gateway inside workerd (src/runtime/worker.ts on D1 and Workers KV), bindings from wrangler.toml.
        plugins: [
          cloudflareTest(async () => ({
            main: './src/runtime/worker.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                KEYMINT_ADMIN_TOKEN: 'root_workers_test_token_0123456789abcdef',
                KEYMINT_SECRET_PEPPER: 'workers_test_pepper_0123456789abcdefghij',
                KEYMINT_KEK: 'c2lnbmluZy1rZXlzLWF0LXJlc3QtZm9yLXRlc3RzISE=',
                TEST_MIGRATIONS: await readD1Migrations('db/migrations'),
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: [WORKER_TESTS],
          exclude: [...configDefaults.exclude, WORKER_BUNDLE_TESTS],
          setupFiles: ['test/workers/apply-migrations.ts'],
          // One module graph and one D1/KV for all files: much faster, and every test makes its own accounts.
          isolate: false,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'worker-bundle',
          include: [WORKER_BUNDLE_TESTS],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
