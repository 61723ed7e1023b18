// The bindings tests see through `cloudflare:test` (wrangler.toml plus the test-only ones in vitest.config.ts).
/// <reference types="@cloudflare/vitest-pool-workers/types" />

declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    SESSIONS: KVNamespace;
    FAILURE_COUNTERS: DurableObjectNamespace;
    REPLAY_RECORDS: DurableObjectNamespace;
    KEY_LIMITS: DurableObjectNamespace;
    SESSION_RECORDS: DurableObjectNamespace;
    USAGE_COUNTS: DurableObjectNamespace;
    KEYMINT_ADMIN_TOKEN: string;
    KEYMINT_SECRET_PEPPER: string;
    KEYMINT_KEK: string;
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
}
