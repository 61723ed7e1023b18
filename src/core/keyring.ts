// The signing keyring: one active key pair per environment, retired public keys kept while tokens need them;
// every rotation, scheduled or asked for, is audited and announced to the other nodes here.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Change, ChangeNotice } from '../ports/change-feed.js';
import type { KeyStore } from '../ports/key-store.js';
import type { SigningKeyRecord, SigningKeyStore } from '../ports/signing-key-store.js';
import type { Clock } from '../ports/runtime.js';
import { ENVIRONMENTS, type Environment, type SigningAlgorithm } from '../shared/domain.js';
import { actorName, type Actor } from './admin-access.js';
import { newId } from './ids.js';
import type { Sealer } from './sealing.js';
import type { CryptoProvider, JwtSigner } from '../ports/crypto.js';
import { webCrypto } from './web-crypto.js';

export interface ActiveSigningKey {
  kid: string;
  alg: string;
  sign: JwtSigner;
}

export interface SigningKeyView {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
  publishUntil: number | null;
}

export interface SigningKeyring {
  activeKey(environment: Environment): Promise<ActiveSigningKey>;
  /** The public key for `kid` in this environment, if it is still published. */
  verificationKey(environment: Environment, kid: string): Promise<{ alg: string; key: CryptoKey } | undefined>;
  jwks(environment: Environment): Promise<{ keys: JWK[] }>;
  list(environment: Environment): Promise<SigningKeyView[]>;
  /** Rotates at once (a compromise); `actor` is who asked, for the audit log. */
  rotate(environment: Environment, actor: Actor): Promise<SigningKeyView>;
  /** Applies a change notice: another node rotated, or changes may have been missed. */
  hear(notice: ChangeNotice): void;
}

interface LoadedRing {
  loadedAt: number;
  active: ActiveSigningKey;
  published: Map<string, { alg: string; key: CryptoKey; jwk: JWK }>;
  views: SigningKeyView[];
}

// Other processes may rotate: without change notices, reload this often; at once when a token names an unknown kid.
const RELOAD_AFTER_MS = 60_000;
const UNKNOWN_KID_RELOAD_MS = 5_000;
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
  /** Scheduled rotation: an active key older than this many days is replaced on the next load; 0 = never. */
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
  const maxAgeMs = deps.maxAgeMs ?? (() => RELOAD_AFTER_MS);
  const announceToAll = deps.announce ?? (async () => undefined);
  // ChangeNotices.announce tells this node's listeners, this keyring among them, before it returns: the keyring
  // already holds what it announces, so it does not read it again.
  let announcing = false;
  async function announce(environment: Environment): Promise<void> {
    announcing = true;
    let sent: Promise<void>;
    try {
      sent = announceToAll({ kind: 'signing-keys', environment });
    } finally {
      announcing = false;
    }
    await sent;
  }
  const rings = new Map<Environment, Promise<LoadedRing>>();

  // Skew allowance: a token signed just before rotation must verify for its whole lifetime.
  function publishUntil(environment: Environment, retiredAt: number): number {
    return retiredAt + (deps.tokenLifetime(environment) + 60) * 1000;
  }

  // Only the process whose conditional retire went through records it, so a rotation has one entry. It is written
  // after the rotation: the two live in different stores.
  async function rotateFrom(environment: Environment, retiringKid: string, actor: string): Promise<SigningKeyRecord> {
    const now = clock.now();
    const next = await generateRecord(environment);
    if (await store.rotateSigningKey(retiringKid, now, publishUntil(environment, now), next)) {
      await deps.audit.recordOperation({
        id: newId('op', now),
        accountId: null,
        environment,
        keyId: null,
        action: 'signing_key.rotated',
        actor,
        at: now,
      });
      await announce(environment);
    }
    return next;
  }

  async function generateRecord(environment: Environment): Promise<SigningKeyRecord> {
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
      status: 'active',
      createdAt: clock.now(),
      retiredAt: null,
      publishUntil: null,
    };
  }

  async function load(environment: Environment): Promise<LoadedRing> {
    const now = clock.now();
    await store.deleteUnpublishedSigningKeys(environment, now);
    let records = await store.listSigningKeys(environment);
    if (!records.some((record) => record.status === 'active')) {
      // Two processes starting together may both get here; the unique index lets one win.
      await store.insertActiveSigningKey(await generateRecord(environment));
      records = await store.listSigningKeys(environment);
    }
    let activeRecord = records.find((record) => record.status === 'active')!;
    const rotationMs = deps.rotationDays * 86_400_000;
    if (rotationMs > 0 && now - activeRecord.createdAt >= rotationMs) {
      // Every process reloads at least once a minute, so the schedule needs no timer; when several
      // processes find the key due at once, the conditional retire lets exactly one rotation through.
      await rotateFrom(environment, activeRecord.kid, SCHEDULED_ROTATION_ACTOR);
      records = await store.listSigningKeys(environment);
      activeRecord = records.find((record) => record.status === 'active')!;
    }
    const published = new Map<string, { alg: string; key: CryptoKey; jwk: JWK }>();
    for (const record of records) {
      const jwk = JSON.parse(record.publicJwk) as JWK;
      published.set(record.kid, { alg: record.alg, key: (await importJWK(jwk, record.alg)) as CryptoKey, jwk });
    }
    const privateJwk = JSON.parse(await sealer.open(activeRecord.privateKey)) as JWK;
    return {
      loadedAt: now,
      active: {
        kid: activeRecord.kid,
        alg: activeRecord.alg,
        sign: await provider.createJwtSigner(privateJwk, activeRecord.alg),
      },
      published,
      views: records.map((record) => ({
        kid: record.kid,
        alg: record.alg,
        status: record.status,
        publicJwk: JSON.parse(record.publicJwk) as JWK,
        createdAt: record.createdAt,
        retiredAt: record.retiredAt,
        publishUntil: record.publishUntil,
      })),
    };
  }

  function reload(environment: Environment): Promise<LoadedRing> {
    const loading = load(environment);
    rings.set(environment, loading);
    loading.catch(() => {
      if (rings.get(environment) === loading) rings.delete(environment);
    });
    return loading;
  }

  // Starts reading an environment's keys again now, so that the next request does not wait for the read.
  function refresh(environment: Environment) {
    if (!rings.has(environment)) return;
    reload(environment).catch(() => undefined);
  }

  async function ring(environment: Environment, maxAge = maxAgeMs()): Promise<LoadedRing> {
    const current = rings.get(environment);
    if (!current) return reload(environment);
    const loaded = await current;
    if (clock.now() - loaded.loadedAt >= maxAge && rings.get(environment) === current) return reload(environment);
    return loaded;
  }

  return {
    async activeKey(environment) {
      return (await ring(environment)).active;
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
      const loaded = await ring(environment);
      const now = clock.now();
      const keys = loaded.views
        .filter((view) => view.publishUntil === null || view.publishUntil > now)
        .map((view) => view.publicJwk);
      return { keys };
    },
    async list(environment) {
      return (await ring(environment)).views;
    },
    async rotate(environment, actor) {
      const current = await reload(environment);
      const next = await rotateFrom(environment, current.active.kid, actorName(actor));
      // When another node's rotation won the race, this node was told by it; its own is announced in rotateFrom.
      const loaded = await reload(environment);
      return loaded.views.find((view) => view.kid === next.kid) ?? loaded.views.find((v) => v.status === 'active')!;
    },
    hear(notice) {
      if (announcing) return;
      if (notice.kind === 'signing-keys') refresh(notice.environment);
      else if (notice.kind === 'everything') for (const environment of ENVIRONMENTS) refresh(environment);
    },
  };
}
