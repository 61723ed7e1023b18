// SessionStore on Workers KV: environment-namespaced keys, TTLs clamped to KV's 60 s minimum.
import { toBase64Url, utf8 } from '../../shared/encoding.js';
import type { Environment } from '../../shared/domain.js';
import type { Clock } from '../../ports/runtime.js';
import type { IssuanceSlot, IssuedToken, SessionRecord, SessionStore } from '../../ports/session-store.js';
import { guardStore } from '../../ports/store-errors.js';
import { type KeyMark, refuseKeyMark } from '../../ports/key-versions.js';

/**
 * The part of a Workers KV binding (`KVNamespace`) this store uses. Declared here rather than taken
 * from @cloudflare/workers-types so the adapter also compiles in the Node typecheck.
 */
export interface KvNamespaceLike {
  get(key: string, type: 'text'): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list<Metadata = unknown>(options?: {
    prefix?: string | null;
    cursor?: string | null;
    limit?: number;
  }): Promise<{ keys: { name: string; metadata?: Metadata }[]; list_complete: boolean; cursor?: string }>;
}

/** KV refuses an `expirationTtl` below this many seconds. */
export const KV_MIN_TTL_SECONDS = 60;

/** What the issuance cache keeps per slot: the token and when it stops being reusable. */
interface CachedIssue {
  token: IssuedToken;
  reuseUntil: number;
}

/** Index entries carry the session's `exp`, so revocation can skip expired ones without a read. */
interface IndexMetadata {
  exp: number;
}

/** Every error a KV binding throws is a KV fault: the store is unavailable. */
export function guarded<T>(work: () => Promise<T>): Promise<T> {
  return guardStore('kv', work);
}

export function parse<T>(value: string | null): T | null {
  return value === null ? null : (JSON.parse(value) as T);
}

/** Seconds from now until `untilSeconds`, raised to KV's minimum; readers check the real deadline themselves. */
export function kvExpirationTtl(clock: Clock, untilSeconds: number): number {
  return Math.max(KV_MIN_TTL_SECONDS, untilSeconds - Math.floor(clock.now() / 1000));
}

/** A KV-safe name for an issuance slot (application ID, audience and scope can exceed KV's key length). */
async function slotDigest(slot: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(slot))));
}

/**
 * What every store over Workers KV shares: the namespace, the key prefix (`KEYMINT_REDIS_PREFIX`) and the clock its
 * deadlines are read against (tests move it).
 */
export abstract class KvClient {
  protected readonly prefix: string;
  protected readonly clock: Clock;

  constructor(
    protected readonly kv: KvNamespaceLike,
    options: { prefix?: string; clock: Clock },
  ) {
    this.prefix = options.prefix ?? 'km';
    this.clock = options.clock;
  }
}

export class KvSessionStore extends KvClient implements SessionStore {
  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private ttlUntil(untilSeconds: number): number {
    return kvExpirationTtl(this.clock, untilSeconds);
  }

  private key(environment: Environment, kind: string, id: string): string {
    return `${this.prefix}:${environment}:${kind}:${id}`;
  }

  private async listNames<Metadata>(prefix: string): Promise<{ name: string; metadata?: Metadata }[]> {
    const found: { name: string; metadata?: Metadata }[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.kv.list<Metadata>({ prefix, cursor: cursor ?? null });
      found.push(...page.keys);
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return found;
  }

  private async forgetIssued(environment: Environment, keyId: string): Promise<void> {
    const names = await this.listNames(this.key(environment, 'issued', `${keyId}:`));
    await Promise.all(names.map(({ name }) => this.kv.delete(name)));
  }

  /** The record while its token is unexpired (KV may keep it up to a minute longer). */
  private async readSession(environment: Environment, jti: string): Promise<SessionRecord | null> {
    const record = parse<SessionRecord>(await this.kv.get(this.key(environment, 'session', jti), 'text'));
    return record && record.exp > this.nowSeconds() ? record : null;
  }

  private async writeSession(environment: Environment, record: SessionRecord): Promise<void> {
    await this.kv.put(this.key(environment, 'session', record.jti), JSON.stringify(record), {
      expirationTtl: this.ttlUntil(record.exp),
    });
  }

  saveSession(
    environment: Environment,
    record: SessionRecord,
    issued?: { slot: IssuanceSlot; token: IssuedToken; reuseUntil: number },
    whileMark?: KeyMark,
  ): Promise<void> {
    refuseKeyMark(whileMark, 'the KV session store');
    return guarded(async () => {
      const metadata: IndexMetadata = { exp: record.exp };
      const writes = [
        this.writeSession(environment, record),
        this.kv.put(this.key(environment, 'key-sessions', `${record.keyId}:${record.jti}`), '', {
          expirationTtl: this.ttlUntil(record.exp),
          metadata,
        }),
      ];
      // One entry per ancestor (token exchange), listed by revokeSession: only the descendants are read.
      for (const ancestor of record.ancestors ?? []) {
        writes.push(
          this.kv.put(this.key(environment, 'derived', `${ancestor}:${record.jti}`), '', {
            expirationTtl: this.ttlUntil(record.exp),
            metadata,
          }),
        );
      }
      if (issued) {
        const cached: CachedIssue = { token: issued.token, reuseUntil: issued.reuseUntil };
        const name = this.key(environment, 'issued', `${issued.slot.keyId}:${await slotDigest(issued.slot.slot)}`);
        writes.push(this.kv.put(name, JSON.stringify(cached), { expirationTtl: this.ttlUntil(issued.reuseUntil) }));
      }
      await Promise.all(writes);
    });
  }

  getSession(environment: Environment, jti: string): Promise<SessionRecord | null> {
    return guarded(() => this.readSession(environment, jti));
  }

  revokeSession(environment: Environment, jti: string): Promise<boolean> {
    return guarded(async () => {
      const record = await this.readSession(environment, jti);
      if (!record) return false;
      await Promise.all([
        this.writeSession(environment, { ...record, revoked: true }),
        this.revokeDerived(environment, jti),
        this.forgetIssued(environment, record.keyId),
      ]);
      return true;
    });
  }

  /** Marks revoked every live session derived from `jti` (not atomic with the parent's write: KV has no transactions). */
  private async revokeDerived(environment: Environment, jti: string): Promise<void> {
    const now = this.nowSeconds();
    const prefix = this.key(environment, 'derived', `${jti}:`);
    const entries = await this.listNames<IndexMetadata>(prefix);
    await Promise.all(
      entries
        .filter(({ metadata }) => metadata === undefined || metadata.exp > now)
        .map(async ({ name }) => {
          const child = await this.readSession(environment, name.slice(prefix.length));
          if (child && !child.revoked) await this.writeSession(environment, { ...child, revoked: true });
        }),
    );
  }

  revokeKeySessions(environment: Environment, keyId: string): Promise<number> {
    return guarded(async () => {
      const now = this.nowSeconds();
      const indexPrefix = this.key(environment, 'key-sessions', `${keyId}:`);
      const entries = await this.listNames<IndexMetadata>(indexPrefix);
      const live = entries.filter(({ metadata }) => metadata === undefined || metadata.exp > now);
      const revoked = await Promise.all(
        live.map(async ({ name }) => {
          const record = await this.readSession(environment, name.slice(indexPrefix.length));
          if (!record || record.revoked) return 0;
          await this.writeSession(environment, { ...record, revoked: true });
          return 1;
        }),
      );
      await this.forgetIssued(environment, keyId);
      return revoked.reduce<number>((sum, one) => sum + one, 0);
    });
  }

  findIssued(environment: Environment, slot: IssuanceSlot, whileMark?: KeyMark): Promise<IssuedToken | null> {
    refuseKeyMark(whileMark, 'the KV session store');
    return guarded(async () => {
      const name = this.key(environment, 'issued', `${slot.keyId}:${await slotDigest(slot.slot)}`);
      const cached = parse<CachedIssue>(await this.kv.get(name, 'text'));
      if (!cached || cached.reuseUntil <= this.nowSeconds()) return null;
      // Revocation deletes this entry, but another location may still serve it from its KV cache for up to
      // a minute; the session record (rarely cached where the token is reused) says whether it was revoked.
      const record = await this.readSession(environment, cached.token.jti);
      return record && !record.revoked ? cached.token : null;
    });
  }

  /** Rejects when KV cannot answer (behind /readyz). */
  ping(): Promise<void> {
    return guarded(async () => void (await this.kv.get(`${this.prefix}:readyz`, 'text')));
  }
}
