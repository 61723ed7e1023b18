// The Cloudflare Worker entry named by SPEC §5 and wrangler.toml; the runtime wiring is in runtime/worker.ts.
export { default } from './runtime/worker.js';
