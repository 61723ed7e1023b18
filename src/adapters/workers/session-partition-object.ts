// SessionStore on Durable Objects: one object per environment and session partition (in effect, per API key) holds
// the key's session records, its derived-session index and its issuance cache, so a revocation is one step of a
// single-threaded object and is seen at once from every location (SPEC §10).
import type { Environment } from '../../shared/domain.js';
import { partitionForRecord, partitionOfSessionId, sessionPartition } from '../../ports/session-ids.js';
import type { IssuanceSlot, IssuedToken, SessionRecord, SessionStore } from '../../ports/session-store.js';
import { DurableObjectClient, type SqlDurableStateLike } from './durable-object.js';
import { type KeyMark, refuseKeyMark } from '../../ports/key-versions.js';

/** What the store asks a partition's object; `now` is the caller's clock (s, as tokens count). */
type SessionOperation =
  | { op: 'save'; record: SessionRecord; issued?: { slot: string; token: IssuedToken; reuseUntil: number } }
  | { op: 'get'; jti: string; now: number }
  | { op: 'revoke'; jti: string; now: number }
  | { op: 'revokeKey'; keyId: string; now: number }
  | { op: 'findIssued'; keyId: string; slot: string; now: number };

const SCHEMA = [
  // The record as saved; `revoked` is the column's, not the JSON's.
  'CREATE TABLE IF NOT EXISTS sessions (jti TEXT PRIMARY KEY, key_id TEXT NOT NULL, exp INTEGER NOT NULL, revoked INTEGER NOT NULL, record TEXT NOT NULL)',
  'CREATE INDEX IF NOT EXISTS sessions_by_key ON sessions (key_id, exp)',
  // One row per ancestor of a derived session (token exchange): revoking the ancestor revokes these.
  'CREATE TABLE IF NOT EXISTS derived (ancestor TEXT NOT NULL, jti TEXT NOT NULL, exp INTEGER NOT NULL, PRIMARY KEY (ancestor, jti))',
  'CREATE TABLE IF NOT EXISTS issued (key_id TEXT NOT NULL, slot TEXT NOT NULL, jti TEXT NOT NULL, token TEXT NOT NULL, reuse_until INTEGER NOT NULL, PRIMARY KEY (key_id, slot))',
];

interface SessionRow extends Record<string, unknown> {
  revoked: number;
  record: string;
}

/**
 * The Durable Object class (wrangler.toml: SESSION_RECORDS → SessionPartitionObject). Every operation runs its
 * statements synchronously, so none interleaves with another: a revocation and a read, or a revocation and a
 * reuse of a cached token, happen one after the other. An alarm deletes what has expired.
 */
export class SessionPartitionObject {
  constructor(
    private readonly ctx: SqlDurableStateLike,
    _env: unknown,
  ) {
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
  }

  private get sql() {
    return this.ctx.storage.sql;
  }

  async fetch(request: Request): Promise<Response> {
    const operation = (await request.json()) as SessionOperation;
    switch (operation.op) {
      case 'save':
        return Response.json(await this.save(operation.record, operation.issued));
      case 'get':
        return Response.json(this.live(operation.jti, operation.now));
      case 'revoke':
        return Response.json(this.revoke(operation.jti, operation.now));
      case 'revokeKey':
        return Response.json(this.revokeKey(operation.keyId, operation.now));
      case 'findIssued':
        return Response.json(this.findIssued(operation.keyId, operation.slot, operation.now));
      default:
        return new Response('unknown operation', { status: 400 });
    }
  }

  private async save(record: SessionRecord, issued?: { slot: string; token: IssuedToken; reuseUntil: number }): Promise<null> {
    const { revoked, ...rest } = record;
    this.sql.exec(
      'INSERT OR REPLACE INTO sessions (jti, key_id, exp, revoked, record) VALUES (?, ?, ?, ?, ?)',
      record.jti,
      record.keyId,
      record.exp,
      revoked ? 1 : 0,
      JSON.stringify(rest),
    );
    for (const ancestor of record.ancestors ?? []) {
      this.sql.exec('INSERT OR REPLACE INTO derived (ancestor, jti, exp) VALUES (?, ?, ?)', ancestor, record.jti, record.exp);
    }
    if (issued) {
      this.sql.exec(
        'INSERT OR REPLACE INTO issued (key_id, slot, jti, token, reuse_until) VALUES (?, ?, ?, ?, ?)',
        record.keyId,
        issued.slot,
        issued.token.jti,
        JSON.stringify(issued.token),
        issued.reuseUntil,
      );
    }
    // The alarm sweeps at the earliest deadline; one already set for earlier stays.
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > record.exp * 1000) await this.ctx.storage.setAlarm(record.exp * 1000);
    return null;
  }

  /** The record while its token is unexpired. */
  private live(jti: string, now: number): SessionRecord | null {
    const [row] = this.sql.exec('SELECT revoked, record FROM sessions WHERE jti = ? AND exp > ?', jti, now).toArray() as SessionRow[];
    return row ? { ...(JSON.parse(row.record) as Omit<SessionRecord, 'revoked'>), revoked: row.revoked === 1 } : null;
  }

  private revoke(jti: string, now: number): boolean {
    const record = this.live(jti, now);
    if (!record) return false;
    this.sql.exec(
      'UPDATE sessions SET revoked = 1 WHERE exp > ? AND (jti = ? OR jti IN (SELECT jti FROM derived WHERE ancestor = ?))',
      now,
      jti,
      jti,
    );
    // As on Redis: the key's reusable tokens go with it, so none can be handed out again.
    this.sql.exec('DELETE FROM issued WHERE key_id = ?', record.keyId);
    return true;
  }

  private revokeKey(keyId: string, now: number): number {
    const revoked = this.sql.exec('UPDATE sessions SET revoked = 1 WHERE key_id = ? AND exp > ? AND revoked = 0 RETURNING jti', keyId, now).toArray();
    this.sql.exec('DELETE FROM issued WHERE key_id = ?', keyId);
    return revoked.length;
  }

  /** A reusable token while its reuse lasts and its session is live and unrevoked. */
  private findIssued(keyId: string, slot: string, now: number): IssuedToken | null {
    const [row] = this.sql
      .exec(
        `SELECT issued.token AS token FROM issued JOIN sessions ON sessions.jti = issued.jti
         WHERE issued.key_id = ? AND issued.slot = ? AND issued.reuse_until > ? AND sessions.exp > ? AND sessions.revoked = 0`,
        keyId,
        slot,
        now,
        now,
      )
      .toArray() as { token: string }[];
    return row ? (JSON.parse(row.token) as IssuedToken) : null;
  }

  /** Deletes expired sessions, index rows and reusable tokens; comes back at the next session's end. */
  async alarm(): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    this.sql.exec('DELETE FROM sessions WHERE exp <= ?', now);
    this.sql.exec('DELETE FROM derived WHERE exp <= ?', now);
    this.sql.exec('DELETE FROM issued WHERE reuse_until <= ?', now);
    const [next] = this.sql.exec('SELECT min(exp) AS at FROM sessions').toArray() as { at: number | null }[];
    if (typeof next?.at === 'number') await this.ctx.storage.setAlarm(Math.max(next.at * 1000, Date.now() + 1000));
  }
}

/**
 * The SessionStore over SessionPartitionObject. A session id names its key's partition (ports/session-ids.ts), so
 * a record is found from its jti alone and revoke-sessions from the key id alone, each in one object. An id without
 * a partition (minted before partitions) is unknown here.
 */
export class DurableObjectSessionStore extends DurableObjectClient implements SessionStore {
  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private call<Answer>(environment: Environment, partition: string, operation: SessionOperation): Promise<Answer> {
    return this.callObject<Answer>(`${environment}:sessions:${partition}`, operation);
  }

  async saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
    whileMark?: KeyMark,
  ): Promise<void> {
    refuseKeyMark(whileMark, 'the Durable Object session store');
    const partition = partitionForRecord(record, issued?.slot);
    await this.call(environment, partition, {
      op: 'save',
      record,
      issued: issued && { slot: issued.slot.slot, token: issued.token, reuseUntil: issued.reuseUntil },
    });
  }

  async getSession(environment: Environment, jti: string): Promise<SessionRecord | null> {
    const partition = partitionOfSessionId(jti);
    if (!partition) return null;
    return this.call<SessionRecord | null>(environment, partition, { op: 'get', jti, now: this.nowSeconds() });
  }

  async revokeSession(environment: Environment, jti: string): Promise<boolean> {
    const partition = partitionOfSessionId(jti);
    if (!partition) return false;
    return this.call<boolean>(environment, partition, { op: 'revoke', jti, now: this.nowSeconds() });
  }

  revokeKeySessions(environment: Environment, keyId: string): Promise<number> {
    return this.call<number>(environment, sessionPartition(keyId), { op: 'revokeKey', keyId, now: this.nowSeconds() });
  }

  findIssued(environment: Environment, slot: IssuanceSlot, whileMark?: KeyMark): Promise<IssuedToken | null> {
    refuseKeyMark(whileMark, 'the Durable Object session store');
    return this.call<IssuedToken | null>(environment, sessionPartition(slot.keyId), {
      op: 'findIssued',
      keyId: slot.keyId,
      slot: slot.slot,
      now: this.nowSeconds(),
    });
  }
}
