// SessionStore in process memory: for a single process without Redis (the default of `npm start`).
import type { Environment } from '../../shared/domain.js';
import type { Clock } from '../../ports/runtime.js';
import type { IssuanceSlot, IssuedToken, SessionRecord, SessionStore } from '../../ports/session-store.js';
import { ExpiringMap } from './expiring-map.js';
import { type KeyMark, refuseKeyMark } from '../../ports/key-versions.js';

/** A copy the caller cannot change the stored record through (its nested members included). */
function copyRecord(record: SessionRecord): SessionRecord {
  const copy = { ...record };
  if (record.cnf) copy.cnf = { ...record.cnf };
  if (record.ancestors) copy.ancestors = [...record.ancestors];
  return copy;
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions: ExpiringMap<SessionRecord>;
  /** Per key: jti → exp (seconds) of its sessions, trimmed of expired ones on each write. */
  private readonly keySessions: ExpiringMap<Map<string, number>>;
  /** Per key: issuance slot → reusable token. */
  private readonly issued: ExpiringMap<Map<string, IssuedToken>>;

  constructor(private readonly clock: Clock) {
    this.sessions = new ExpiringMap(clock);
    this.keySessions = new ExpiringMap(clock);
    this.issued = new ExpiringMap(clock);
  }

  async saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
    whileMark?: KeyMark,
  ): Promise<void> {
    refuseKeyMark(whileMark, 'the in-process session store');
    this.sessions.set(`${environment}:${record.jti}`, copyRecord(record), record.exp * 1000);
    const indexKey = `${environment}:${record.keyId}`;
    const index = this.keySessions.get(indexKey) ?? new Map<string, number>();
    const nowSeconds = this.clock.now() / 1000;
    let newest = record.exp;
    for (const [jti, exp] of index) {
      if (exp < nowSeconds) index.delete(jti);
      else newest = Math.max(newest, exp);
    }
    index.set(record.jti, record.exp);
    // The index lives as long as its longest-lived session, whatever order they were saved in.
    this.keySessions.set(indexKey, index, newest * 1000);
    if (issued) {
      const cacheKey = `${environment}:${issued.slot.keyId}`;
      const cache = this.issued.get(cacheKey) ?? new Map<string, IssuedToken>();
      cache.set(issued.slot.slot, issued.token);
      this.issued.set(cacheKey, cache, issued.reuseUntil * 1000);
    }
  }

  async getSession(environment: Environment, jti: string): Promise<SessionRecord | null> {
    const record = this.sessions.get(`${environment}:${jti}`);
    return record ? copyRecord(record) : null;
  }

  async revokeSession(environment: Environment, jti: string): Promise<boolean> {
    const record = this.sessions.get(`${environment}:${jti}`);
    if (!record) return false;
    record.revoked = true;
    // What was derived from it by exchange belongs to the same key, so its index holds every descendant.
    for (const child of this.keySessions.get(`${environment}:${record.keyId}`)?.keys() ?? []) {
      const derived = this.sessions.get(`${environment}:${child}`);
      if (derived?.ancestors?.includes(jti)) derived.revoked = true;
    }
    this.issued.delete(`${environment}:${record.keyId}`);
    return true;
  }

  async revokeKeySessions(environment: Environment, keyId: string): Promise<number> {
    const index = this.keySessions.get(`${environment}:${keyId}`) ?? new Map<string, number>();
    let count = 0;
    for (const jti of index.keys()) {
      const record = this.sessions.get(`${environment}:${jti}`);
      if (record && !record.revoked) {
        record.revoked = true;
        count++;
      }
    }
    this.issued.delete(`${environment}:${keyId}`);
    return count;
  }

  async findIssued(environment: Environment, slot: IssuanceSlot, whileMark?: KeyMark): Promise<IssuedToken | null> {
    refuseKeyMark(whileMark, 'the in-process session store');
    return this.issued.get(`${environment}:${slot.keyId}`)?.get(slot.slot) ?? null;
  }
}
