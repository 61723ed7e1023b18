// The Cloudflare Worker entry named by SPEC §5 and wrangler.toml; the runtime wiring is in runtime/worker.ts.
// Durable Object classes are exported by name from the entry module, as wrangler.toml's bindings name them.
export { default, FailureCounterObject, KeyLimitObject, ReplayRecordObject, SessionPartitionObject, UsageObject } from './runtime/worker.js';
