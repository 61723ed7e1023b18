// The test KV namespace (binding SESSIONS) under a fresh prefix, recording every put's key and TTL.
import { env } from 'cloudflare:test';
import type { KvNamespaceLike } from '../../../src/adapters/workers/kv-session-store.js';

export function recordingKv() {
  const puts: { key: string; expirationTtl?: number }[] = [];
  const kv: KvNamespaceLike = {
    get: (key, type) => env.SESSIONS.get(key, type),
    put: (key, value, options) => {
      puts.push({ key, expirationTtl: options?.expirationTtl });
      return env.SESSIONS.put(key, value, options);
    },
    delete: (key) => env.SESSIONS.delete(key),
    list: (options) => env.SESSIONS.list(options),
  };
  return { kv, puts, prefix: `t${crypto.randomUUID().slice(0, 8)}` };
}
