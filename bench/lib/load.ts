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

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  /** Non-2xx answers and socket errors/timeouts; a measurement with any of these is suspect. */
  failed: number;
  statusCounts: Record<string, number>;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
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
        const sorted = latencies.slice(0, count).sort();
        const statusCounts: Record<string, number> = {};
        for (const [code, { count: n }] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = n;
        const total2xx = result['2xx'];
        resolve({
          // Successful answers only, over the run's measured wall time.
          requestsPerSecond: total2xx / result.duration,
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          ok: total2xx,
          failed: result.non2xx + result.errors + result.timeouts,
          statusCounts,
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
