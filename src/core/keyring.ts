// The signing keyring: one active key pair per environment, the next one published ahead of its use, retired public
// keys kept while tokens need them; every rotation, scheduled or asked for, is audited and announced here.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Change, ChangeNotice } from '../ports/change-feed.js';
import type { KeyStore } from '../ports/key-store.js';
import type { SigningKeyRecord, SigningKeyStatus, SigningKeyStore } from '../ports/signing-key-store.js';
import type { Clock } from '../ports/runtime.js';
import { ENVIRONMENTS, type Environment, type SigningAlgorithm } from '../shared/domain.js';
import { actorName, type Actor } from './admin-access.js';
import { newId } from './ids.js';
import type { Sealer } from './sealing.js';
import type { CryptoProvider, JwtSigner } from '../ports/crypto.js';
import { webCrypto } from './web-crypto.js';
import { within } from '../shared/within.js';

export interface ActiveSigningKey {
  kid: string;
  alg: string;
  sign: JwtSigner;
}

export interface SigningKeyView {
  kid: string;
  alg: string;
  status: SigningKeyStatus;
  publicJwk: JWK;
  createdAt: number;
  /** A pending key: when every node starts signing with it. */
  activatesAt: number | null;
  retiredAt: number | null;
  publishUntil: number | null;
}

export interface SigningKeyring {
  /** The key to sign with now: the active one, or the pending one once its time has come. */
  activeKey(environment: Environment): Promise<ActiveSigningKey>;
  /** The public key for `kid` in this environment, if it is still published. */
  verificationKey(environment: Environment, kid: string): Promise<{ alg: string; key: CryptoKey } | undefined>;
  jwks(environment: Environment): Promise<{ keys: JWK[] }>;
  list(environment: Environment): Promise<SigningKeyView[]>;
  /** Rotates at once (a compromise): signs with a new key now, and no key made before becomes active; `actor` is who asked. */
  rotate(environment: Environment, actor: Actor): Promise<SigningKeyView>;
  /** Applies a change notice: another node rotated or published a key, or changes may have been missed. */
  hear(notice: ChangeNotice): void;
}

interface LoadedKey extends ActiveSigningKey {
  activatesAt: number;
}

interface LoadedRing {
  loadedAt: number;
  active: ActiveSigningKey;
  /** The next key, published now, signing from `activatesAt` on every node (each reads the same time from the store). */
  pending: LoadedKey | undefined;
  published: Map<string, { alg: string; key: CryptoKey; jwk: JWK }>;
  views: SigningKeyView[];
}

/** Verifiers may cache the JWKS this long (its Cache-Control max-age). */
export const JWKS_MAX_AGE_SECONDS = 60;
// Other processes may rotate: without notices, reload this often; at once when a token names an unknown kid.
const RELOAD_AFTER_MS = 60_000;
const UNKNOWN_KID_RELOAD_MS = 5_000;
// While the store is down, the last ring read stays in use and the store is tried again this often.
const STORE_DOWN_RETRY_MS = 1_000;
// The JWKS waits this long for its own read of the store before answering from the ring in memory; a read that has
// not come back after JWKS_READ_ABANDON_MS is given up on, and the next request starts another.
const JWKS_READ_WAIT_MS = 250;
const JWKS_READ_ABANDON_MS = 5_000;

/**
 * How long a scheduled rotation's next key is published before any node signs with it. SPEC §6 asks for the JWKS
 * max-age plus 5 s in every node's JWKS; a node that misses the notice still reloads within RELOAD_AFTER_MS, so
 * that is added too.
 */
export const PUBLISH_AHEAD_MS = (JWKS_MAX_AGE_SECONDS + 5) * 1000 + RELOAD_AFTER_MS;
/** The audit log's actor for a rotation the schedule made (KEYMINT_SIGNING_KEY_ROTATION_DAYS). */
export const SCHEDULED_ROTATION_ACTOR = 'scheduler';

export function createSigningKeyring(deps: {
  store: SigningKeyStore;
  /** Where rotations are audited (environment-wide entries, no account). */
  audit: Pick<KeyStore, 'recordOperation'>;
  sealer: Sealer;
  clock: Clock;
  algorithm: SigningAlgorithm;
  /** How long a retired key stays published: the environment's token lifetime, in seconds. */
  tokenLifetime: (environment: Environment) => number;
  /** Scheduled rotation: an active key older than this many days is succeeded on the next load; 0 = never. */
  rotationDays: number;
  /** Signs with the active key (default: WebCrypto through jose). */
  crypto?: CryptoProvider;
  /** Tells every node (this one included) that an environment's keys changed (default: nobody). */
  announce?: (change: Change) => Promise<void>;
  /** How long a loaded ring may serve before it is read again, asked at every use (default: a minute). */
  maxAgeMs?: () => number;
}): SigningKeyring {
  const { store, sealer, clock, algorithm } = deps;
  const provider = deps.crypto ?? webCrypto;
  const announceToAll = deps.announce ?? (async () => undefined);
  // This keyring's own announcements come back to it through `hear` at once (ChangeNotices.announce tells this
  // node's listeners before it returns): it already holds what it announced, so it ignores them.
  let announcing = false;
  async function announce(change: Change): Promise<void> {
    announcing = true;
    let sent: Promise<void>;
    try {
      sent = announceToAll(change);
    } finally {
      announcing = false;
    }
    await sent;
  }
  const maxAgeMs = deps.maxAgeMs ?? (() => RELOAD_AFTER_MS);
  const rings = new Map<Environment, Promise<LoadedRing>>();
  // The last ring each environment read: kept while the store is down, so the JWKS and verification go on (SPEC §6).
  const lastGood = new Map<Environment, LoadedRing>();

  // Skew allowance: a token signed just before rotation must verify for its whole lifetime.
  function publishUntil(environment: Environment, retiredAt: number): number {
    return retiredAt + (deps.tokenLifetime(environment) + 60) * 1000;
  }

  // Only the process whose conditional write went through records it, so a rotation has one entry. It is written
  // after the rotation: the two live in different stores.
  async function audited(environment: Environment, actor: string): Promise<void> {
    const now = clock.now();
    await deps.audit.recordOperation({
      id: newId('op', now),
      accountId: null,
      environment,
      keyId: null,
      action: 'signing_key.rotated',
      actor,
      at: now,
    });
  }

  async function generateRecord(environment: Environment, status: SigningKeyStatus, activatesAt: number | null): Promise<SigningKeyRecord> {
    const options = algorithm === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true };
    const pair = await generateKeyPair(algorithm, options);
    const publicJwk = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(pair.privateKey);
    return {
      kid,
      environment,
      alg: algorithm,
      publicJwk: JSON.stringify({ ...publicJwk, kid, alg: algorithm, use: 'sig' }),
      privateKey: await sealer.seal(JSON.stringify(privateJwk)),
      status,
      createdAt: clock.now(),
      activatesAt,
      retiredAt: null,
      publishUntil: null,
    };
  }

  /**
   * The store's keys with the schedule applied: the first key made, a pending key whose time has come made active,
   * the next key published when the active one is due. Each step is a conditional write, so however many nodes race,
   * one of them makes it (and announces and audits it) and the others read the result.
   */
  async function settledRecords(environment: Environment): Promise<SigningKeyRecord[]> {
    const now = clock.now();
    let records = await store.listSigningKeys(environment);
    const find = (status: SigningKeyStatus) => records.find((record) => record.status === status);
    if (!find('active')) {
      // The environment's first key signs at once: no verifier can have cached a key set without it.
      if (await store.insertActiveSigningKey(await generateRecord(environment, 'active', null))) {
        await announce({ kind: 'signing-keys', environment });
      }
      records = await store.listSigningKeys(environment);
    }
    const pending = find('pending');
    if (pending && pending.activatesAt! <= now) {
      // Every node signs with it from activatesAt whether or not this write has happened yet; the write retires the
      // old key as of that moment.
      const retired = find('active')!;
      const at = pending.activatesAt!;
      if (await store.activatePendingSigningKey(pending.kid, retired.kid, at, publishUntil(environment, at))) {
        await audited(environment, SCHEDULED_ROTATION_ACTOR);
        await announce({ kind: 'signing-keys', environment });
      }
      records = await store.listSigningKeys(environment);
    }
    const rotationMs = deps.rotationDays * 86_400_000;
    if (rotationMs > 0 && !find('pending') && now - find('active')!.createdAt >= rotationMs) {
      // Every process reloads at least once a minute, so the schedule needs no timer.
      if (await store.insertPendingSigningKey(await generateRecord(environment, 'pending', now + PUBLISH_AHEAD_MS))) {
        await announce({ kind: 'signing-keys', environment });
      }
      records = await store.listSigningKeys(environment);
    }
    return records;
  }

  async function openKey(record: SigningKeyRecord): Promise<ActiveSigningKey> {
    const privateJwk = JSON.parse(await sealer.open(record.privateKey)) as JWK;
    return { kid: record.kid, alg: record.alg, sign: await provider.createJwtSigner(privateJwk, record.alg) };
  }

  async function load(environment: Environment): Promise<LoadedRing> {
    const now = clock.now();
    // After the schedule is applied: a key it retired as of a pending key's activation may be past publication.
    const settled = await settledRecords(environment);
    await store.deleteUnpublishedSigningKeys(environment, now);
    const records = settled.filter((record) => record.publishUntil === null || record.publishUntil > now);
    const published = new Map<string, { alg: string; key: CryptoKey; jwk: JWK }>();
    for (const record of records) {
      const jwk = JSON.parse(record.publicJwk) as JWK;
      published.set(record.kid, { alg: record.alg, key: (await importJWK(jwk, record.alg)) as CryptoKey, jwk });
    }
    const pendingRecord = records.find((record) => record.status === 'pending');
    return {
      loadedAt: now,
      active: await openKey(records.find((record) => record.status === 'active')!),
      pending: pendingRecord && { ...(await openKey(pendingRecord)), activatesAt: pendingRecord.activatesAt! },
      published,
      views: records.map((record) => ({
        kid: record.kid,
        alg: record.alg,
        status: record.status,
        publicJwk: JSON.parse(record.publicJwk) as JWK,
        createdAt: record.createdAt,
        activatesAt: record.activatesAt,
        retiredAt: record.retiredAt,
        publishUntil: record.publishUntil,
      })),
    };
  }

  function reload(environment: Environment): Promise<LoadedRing> {
    const loading = load(environment);
    rings.set(environment, loading);
    loading.then(
      (loaded) => void lastGood.set(environment, loaded),
      () => {
        if (rings.get(environment) !== loading) return;
        const kept = lastGood.get(environment);
        if (!kept) return void rings.delete(environment);
        // Stale again after STORE_DOWN_RETRY_MS, so the store is tried again then, not on every request.
        rings.set(environment, Promise.resolve({ ...kept, loadedAt: clock.now() - maxAgeMs() + STORE_DOWN_RETRY_MS }));
      },
    );
    return loading;
  }

  /** The ring a read gives, or the last ring read when the store fails (a first read's failure is thrown). */
  function orLastGood(environment: Environment, reading: Promise<LoadedRing>): Promise<LoadedRing> {
    return reading.catch((error: unknown) => {
      const kept = lastGood.get(environment);
      if (!kept) throw error;
      return kept;
    });
  }

  async function ring(environment: Environment, maxAge = maxAgeMs()): Promise<LoadedRing> {
    const current = rings.get(environment);
    if (!current) return orLastGood(environment, reload(environment));
    const loaded = await orLastGood(environment, current);
    if (clock.now() - loaded.loadedAt >= maxAge && rings.get(environment) === current) return orLastGood(environment, reload(environment));
    return loaded;
  }

  /**
   * The JWKS's own read of the store: the published keys as they are now, so a key another node rotated to a moment
   * ago is in this node's JWKS before its notice arrives, and no verifier caches a set without a key some node signs
   * with. Read only (the ring's loads apply the schedule), and apart from the ring, so signing and verification never
   * wait for it. One read at a time per environment: requests that come while one is under way share the next, which
   * starts when that one ends, or once it is JWKS_READ_ABANDON_MS old. A request waits for its read at most JWKS_READ_WAIT_MS, and
   * after a read failed the ring answers for STORE_DOWN_RETRY_MS: SPEC §6, the JWKS goes on from memory.
   */
  const jwksReads = new Map<
    Environment,
    { running?: Promise<SigningKeyRecord[]>; startedAt?: number; next?: Promise<SigningKeyRecord[]>; failedAt?: number }
  >();
  function readPublished(environment: Environment): Promise<SigningKeyRecord[]> {
    let state = jwksReads.get(environment);
    if (!state) jwksReads.set(environment, (state = {}));
    const reads = state;
    const abandoned = reads.running !== undefined && clock.now() - reads.startedAt! >= JWKS_READ_ABANDON_MS;
    if (reads.next && !abandoned) return reads.next;
    const start = (): Promise<SigningKeyRecord[]> => {
      reads.next = undefined;
      const running = store.listSigningKeys(environment);
      reads.running = running;
      reads.startedAt = clock.now();
      running.then(
        () => void (reads.failedAt = undefined),
        () => void (reads.failedAt = clock.now()),
      ).finally(() => {
        if (reads.running === running) reads.running = undefined;
      });
      return running;
    };
    if (!reads.running || abandoned) return start();
    reads.next = reads.running.then(start, start);
    return reads.next;
  }

  async function publishedKeys(environment: Environment): Promise<Array<Pick<SigningKeyView, 'publicJwk' | 'publishUntil'>>> {
    // The ring's own read goes first as for every use (the first key made, the schedule applied: a key past its time
    // retired in the store), waited for at most JWKS_READ_WAIT_MS once a ring was read.
    const ringRead = ring(environment);
    if (!lastGood.has(environment)) await ringRead;
    else await within(ringRead.catch(() => undefined), JWKS_READ_WAIT_MS, () => undefined);
    const fromRing = async () => (lastGood.get(environment) ?? (await ring(environment))).views;
    const failedAt = jwksReads.get(environment)?.failedAt;
    if (failedAt !== undefined && clock.now() - failedAt < STORE_DOWN_RETRY_MS) return fromRing();
    const fresh = readPublished(environment).then(
      (records) => records.map((record) => ({ publicJwk: JSON.parse(record.publicJwk) as JWK, publishUntil: record.publishUntil })),
      fromRing,
    );
    return within(fresh, JWKS_READ_WAIT_MS, fromRing);
  }

  // Drops the environment's ring and starts reading it again, so the next request does not wait for the read.
  function refresh(environment: Environment) {
    if (!rings.has(environment)) return;
    reload(environment).catch(() => undefined);
  }

  return {
    async activeKey(environment) {
      const loaded = await ring(environment);
      return loaded.pending && loaded.pending.activatesAt <= clock.now() ? loaded.pending : loaded.active;
    },
    async verificationKey(environment, kid) {
      let loaded = await ring(environment);
      let found = loaded.published.get(kid);
      if (!found) {
        loaded = await ring(environment, Math.min(maxAgeMs(), UNKNOWN_KID_RELOAD_MS));
        found = loaded.published.get(kid);
      }
      if (!found) return undefined;
      const publishUntil = loaded.views.find((view) => view.kid === kid)?.publishUntil;
      if (publishUntil != null && publishUntil <= clock.now()) return undefined;
      return { alg: found.alg, key: found.key };
    },
    async jwks(environment) {
      const views = await publishedKeys(environment);
      const now = clock.now();
      const keys = views
        .filter((view) => view.publishUntil === null || view.publishUntil > now)
        .map((view) => view.publicJwk);
      return { keys };
    },
    // The admin API's view reads the store: a rotation made on another node a moment ago is listed before its
    // notice reaches this one (a rare call, so the read costs nothing that matters).
    async list(environment) {
      return (await orLastGood(environment, reload(environment))).views;
    },
    async rotate(environment, actor) {
      const current = await reload(environment);
      const now = clock.now();
      const next = await generateRecord(environment, 'active', null);
      if (await store.rotateSigningKey(current.active.kid, now, publishUntil(environment, now), next)) {
        await audited(environment, actorName(actor));
      }
      // Whoever won a race, every node reads the keys again.
      await announce({ kind: 'signing-keys', environment });
      const loaded = await reload(environment);
      return loaded.views.find((view) => view.kid === next.kid) ?? loaded.views.find((view) => view.status === 'active')!;
    },
    hear(notice) {
      if (announcing) return;
      if (notice.kind === 'signing-keys') refresh(notice.environment);
      else if (notice.kind === 'everything') for (const environment of ENVIRONMENTS) refresh(environment);
    },
  };
}
