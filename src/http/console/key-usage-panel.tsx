/** @jsxImportSource hono/jsx */
// The key page's usage panel: the core usage reader's series as SVG charts (`?usage=hour|day`), or a plain line saying
// why there is none (no Redis, or the meter cannot be read just now) — never a failed page.
import type { Context } from 'hono';
import type { KeyUsage } from '../../core/key-usage.js';
import type { UsageGranularity } from '../../core/usage-series.js';
import type { KeyRecord } from '../../ports/key-store.js';
import type { Services } from '../services.js';
import { paths } from './paths.js';
import { UsageCharts } from './usage-chart.js';

/** `?usage=day` shows days; anything else (or nothing) the last 24 hours. */
export function usageGranularity(c: Context): UsageGranularity {
  return c.req.query('usage') === 'day' ? 'day' : 'hour';
}

/** What the panel shows: the series, or the sentence that stands in for it. */
export type KeyUsageView = { series: KeyUsage; note?: undefined } | { series?: undefined; note: string };

export async function loadKeyUsage(services: Services, key: KeyRecord, granularity: UsageGranularity): Promise<KeyUsageView> {
  if (!services.keyUsage.shared) {
    return { note: 'Usage needs Redis: this gateway runs without REDIS_URL, so usage is not kept across processes and restarts.' };
  }
  try {
    const usage = await services.keyUsage.read(key.accountId, key.id, { granularity });
    if (usage.ok) return { series: usage.value };
  } catch {
    // The meter (Redis) is unreachable: the rest of the page still works.
  }
  return { note: 'Usage cannot be read just now (is Redis reachable?); reload the page to try again.' };
}

export function KeyUsagePanel({ keyRecord, usage }: { keyRecord: KeyRecord; usage: KeyUsageView }) {
  const path = paths.key(keyRecord.accountId, keyRecord.id);
  return (
    <section class="panel" id="usage" aria-labelledby="usage-heading">
      <h2 id="usage-heading">Usage</h2>
      {usage.series ? (
        <UsageCharts series={usage.series} hourPath={`${path}?usage=hour#usage`} dayPath={`${path}?usage=day#usage`} />
      ) : (
        <p class="sub usage-note">{usage.note}</p>
      )}
    </section>
  );
}
