// Drives HTTP load with autocannon and keeps every 2xx latency at full (sub-millisecond) precision.
import autocannon, { type AutocannonRequest } from 'autocannon';

export interface LoadOptions {
  url: string;
  seconds: number;
  connections?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Cycled through by every connection, in order (spreads many keys across connections). */
  requests?: AutocannonRequest[];
}

/** One stretch of load against one server. */
export interface LoadChunk {
  ok: number;
  /** Non-2xx answers and socket errors/timeouts; a measurement with any of these is suspect. */
  failed: number;
  seconds: number;
  statusCounts: Record<string, number>;
  /** Response times of the 2xx answers, in ms. */
  latencies: Float64Array;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
  statusCounts: Record<string, number>;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** The chunks of one server taken together: successful answers over measured time, percentiles over all. */
export function summarize(chunks: LoadChunk[]): LoadResult {
  const ok = chunks.reduce((sum, chunk) => sum + chunk.ok, 0);
  const seconds = chunks.reduce((sum, chunk) => sum + chunk.seconds, 0);
  const latencies = new Float64Array(chunks.reduce((sum, chunk) => sum + chunk.latencies.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    latencies.set(chunk.latencies, offset);
    offset += chunk.latencies.length;
  }
  latencies.sort();
  const statusCounts: Record<string, number> = {};
  for (const chunk of chunks) {
    for (const [code, n] of Object.entries(chunk.statusCounts)) statusCounts[code] = (statusCounts[code] ?? 0) + n;
  }
  return {
    requestsPerSecond: seconds > 0 ? ok / seconds : 0,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    ok,
    failed: chunks.reduce((sum, chunk) => sum + chunk.failed, 0),
    statusCounts,
  };
}

export function runLoad(options: LoadOptions): Promise<LoadChunk> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 50,
        duration: options.seconds,
        method: options.method ?? 'GET',
        headers: options.headers,
        body: options.body,
        requests: options.requests,
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        const statusCounts: Record<string, number> = {};
        for (const [code, { count: n }] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = n;
        resolve({
          ok: result['2xx'],
          failed: result.non2xx + result.errors + result.timeouts,
          seconds: result.duration,
          statusCounts,
          latencies: latencies.slice(0, count),
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode < 200 || statusCode >= 300) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
}
