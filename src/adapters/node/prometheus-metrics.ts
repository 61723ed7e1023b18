// Metrics on prom-client: the Prometheus text at /metrics on Node.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../../ports/runtime.js';

export function createPrometheusMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'keymint_' });
  const minted = new Counter({
    name: 'keymint_tokens_minted_total',
    help: 'Session tokens handed out, by environment; cached=true when the issuance cache answered',
    labelNames: ['environment', 'cached'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'keymint_tokens_refused_total',
    help: 'Token requests refused, by environment and reason',
    labelNames: ['environment', 'reason'],
    registers: [registry],
  });
  const cache = new Counter({
    name: 'keymint_issuance_cache_lookups_total',
    help: 'Issuance cache lookups by result (hit or miss); hit ratio = hit / (hit + miss)',
    labelNames: ['result'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'keymint_http_request_duration_seconds',
    help: 'Request latency by route pattern, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'keymint_store_errors_total',
    help: 'Requests that found a store unavailable, by store (redis, sqlite; kv and d1 on Workers keep no metrics)',
    labelNames: ['store'],
    registers: [registry],
  });
  const changeNotices = new Counter({
    name: 'keymint_change_notices_total',
    help: 'Change notices (key, session, admin-token and signing-key changes) sent to the other nodes, or heard from them',
    labelNames: ['event'],
    registers: [registry],
  });
  const latencyByLabels = new Map<string, { observe(seconds: number): void }>();
  return {
    tokenMinted(environment, lookup) {
      minted.inc({ environment, cached: String(lookup === 'hit') });
      if (lookup !== 'off') cache.inc({ result: lookup });
    },
    tokenRefused: (environment, reason) => refused.inc({ environment, reason }),
    requestObserved(route, method, status, seconds) {
      // One labelled child per route, method and status, looked up by a string instead of hashing labels.
      const key = `${route} ${method} ${status}`;
      let child = latencyByLabels.get(key);
      if (!child) latencyByLabels.set(key, (child = latency.labels(route, method, String(status))));
      child.observe(seconds);
    },
    storeError: (store) => storeErrors.inc({ store }),
    changeNotice: (event) => changeNotices.inc({ event }),
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
