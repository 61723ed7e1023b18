// ReplayStore on Durable Objects: the jti space hashed into shards, one object each, whose check-and-record of
// an identifier is one synchronous SQLite statement — single use, exactly, from every location (SPEC §8, §10).
import type { Environment } from '../../shared/domain.js';
import type { ReplayStore } from '../../ports/replay-store.js';
import { DurableObjectClient, type SqlDurableStateLike } from './durable-object.js';

/** What the store asks a shard; `now` is the caller's clock (ms), `expiresAt` the record's deadline (ms). */
interface FirstSeenOperation {
  op: 'firstSeen';
  id: string;
  expiresAt: number;
  now: number;
}

/**
 * Shards per environment: the first character of the record id, which is base64url SHA-256 (core/replay.ts
 * `replayRecordId`), so load spreads evenly over 64 objects. One object handles several hundred requests a
 * second; 64 of them carry far more `jti` checks than a gateway makes, and few enough that each stays warm.
 */
const SHARD_CHARACTERS = 1;

/**
 * The Durable Object class (wrangler.toml: REPLAY_RECORDS → ReplayRecordObject): the identifiers of one shard
 * seen before their deadline, in the object's SQLite table. An alarm deletes the expired ones.
 */
export class ReplayRecordObject {
  constructor(
    private readonly ctx: SqlDurableStateLike,
    _env: unknown,
  ) {
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)');
  }

  async fetch(request: Request): Promise<Response> {
    const operation = (await request.json()) as FirstSeenOperation;
    if (operation.op !== 'firstSeen') return new Response('unknown operation', { status: 400 });
    const { id, expiresAt, now } = operation;
    // One statement, run synchronously: it inserts the id, or takes over an expired record of it, or changes
    // nothing when a live record exists. Nothing can come between the check and the write.
    const written = this.ctx.storage.sql
      .exec(
        `INSERT INTO seen (id, expires_at) VALUES (?, ?)
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE seen.expires_at <= ?
         RETURNING 1 AS first`,
        id,
        expiresAt,
        now,
      )
      .toArray();
    const first = written.length > 0;
    if (first && (await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAt);
    return Response.json(first);
  }

  /** Deletes the expired records, and comes back at the next deadline while any remain. */
  async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM seen WHERE expires_at <= ?', Date.now());
    const [next] = sql.exec('SELECT min(expires_at) AS at FROM seen').toArray() as { at: number | null }[];
    // An empty table stays: dropping it (deleteAll) would leave this instance without one.
    if (typeof next?.at === 'number') await this.ctx.storage.setAlarm(Math.max(next.at, Date.now() + 1000));
  }
}

/** The ReplayStore over ReplayRecordObject: a record's shard is named by environment and the id's first character. */
export class DurableObjectReplayStore extends DurableObjectClient implements ReplayStore {
  firstSeen(environment: Environment, id: string, expiresAt: number): Promise<boolean> {
    const operation: FirstSeenOperation = { op: 'firstSeen', id, expiresAt: expiresAt * 1000, now: this.clock.now() };
    return this.callObject<boolean>(`${environment}:jti:${id.slice(0, SHARD_CHARACTERS)}`, operation);
  }
}
