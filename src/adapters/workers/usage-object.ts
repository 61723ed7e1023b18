// UsageMeter on Durable Objects: one object per API key holds the key's hourly counts in its SQLite table, so
// every isolate and location counts into, and reads, the same numbers (SPEC §7 usage, §10).
import type { KeyRef } from '../../ports/key-ref.js';
import {
  DAY_MS,
  emptyCounts,
  USAGE_COUNTERS,
  USAGE_KEEP_MS,
  type HourlyUsage,
  type UsageCounter,
  type UsageMeter,
  HOUR_MS,
} from '../../ports/usage-meter.js';
import { DurableObjectClient, type SqlDurableStateLike } from './durable-object.js';

/** What the meter asks a key's object; `now` is the caller's clock (ms). */
type UsageOperation =
  | { op: 'count'; counter: UsageCounter; now: number }
  | { op: 'read'; fromMs: number; toMs: number };

const KNOWN_COUNTERS: ReadonlySet<string> = new Set(USAGE_COUNTERS);

/**
 * The Durable Object class (wrangler.toml: USAGE_COUNTS → UsageObject): one API key's counts per UTC hour, a row
 * per hour and counter in `hours`. Each count is one synchronous upsert, so concurrent counts never overwrite
 * one another. A daily alarm, while any hour is kept, deletes the hours past the retention.
 */
export class UsageObject {
  constructor(
    private readonly ctx: SqlDurableStateLike,
    _env: unknown,
  ) {
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS hours (
         hour_start INTEGER NOT NULL, counter TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (hour_start, counter)
       ) WITHOUT ROWID`,
    );
  }

  async fetch(request: Request): Promise<Response> {
    const operation = (await request.json()) as UsageOperation;
    const sql = this.ctx.storage.sql;
    if (operation.op === 'read') {
      const rows = sql
        .exec(
          'SELECT hour_start, counter, n FROM hours WHERE hour_start >= ? AND hour_start < ? ORDER BY hour_start',
          operation.fromMs,
          operation.toMs,
        )
        .toArray() as { hour_start: number; counter: string; n: number }[];
      const hours: HourlyUsage[] = [];
      for (const row of rows) {
        if (!KNOWN_COUNTERS.has(row.counter)) continue;
        let hour = hours.at(-1);
        if (hour?.hourStartMs !== row.hour_start) hours.push((hour = { hourStartMs: row.hour_start, counts: emptyCounts() }));
        hour.counts[row.counter as UsageCounter] = row.n;
      }
      return Response.json(hours);
    }
    if (operation.op !== 'count' || !KNOWN_COUNTERS.has(operation.counter) || !Number.isFinite(operation.now)) {
      return new Response('unknown operation', { status: 400 });
    }
    const { counter, now } = operation;
    const hourStart = now - (now % HOUR_MS);
    sql.exec(
      'INSERT INTO hours (hour_start, counter, n) VALUES (?, ?, 1) ON CONFLICT (hour_start, counter) DO UPDATE SET n = n + 1',
      hourStart,
      counter,
    );
    // Output gates hold the answer until the row is durable.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
    return Response.json(null);
  }

  /** Once a day while the key has counts: deletes the hours past the retention, and stops when none are left. */
  async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM hours WHERE hour_start < ?', Date.now() - USAGE_KEEP_MS);
    const [left] = sql.exec('SELECT count(*) AS n FROM hours').toArray() as { n: number }[];
    // An empty table stays: dropping it (deleteAll) would leave this instance without one.
    if ((left?.n ?? 0) > 0) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
  }
}

/**
 * The UsageMeter over UsageObject: a key's object is named by environment and key id (idFromName), created near
 * the location that first counts for it. One object request per count; callers send it after the response.
 */
export class DurableObjectUsageMeter extends DurableObjectClient implements UsageMeter {
  async count(key: KeyRef, counter: UsageCounter): Promise<void> {
    await this.callObject<null>(this.objectName(key), { op: 'count', counter, now: this.clock.now() } satisfies UsageOperation);
  }

  readHours(key: KeyRef, fromMs: number, toMs: number): Promise<HourlyUsage[]> {
    return this.callObject<HourlyUsage[]>(this.objectName(key), { op: 'read', fromMs, toMs } satisfies UsageOperation);
  }

  private objectName(key: KeyRef): string {
    return `${key.environment}:usage:${key.keyId}`;
  }
}
