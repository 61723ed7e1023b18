// Single-use identifiers (`jti` of client assertions and DPoP proofs): the guard the verifiers call, the record name stores use, and the guards bound to a store.
import type { ReplayStore } from '../ports/replay-store.js';
import { ENVIRONMENTS, type Environment } from '../shared/domain.js';
import { dropEnded } from '../shared/expiring-entries.js';
import { sha256Base64Url } from './digest.js';

/**
 * Remembers `jti` until `expiresAt` (seconds since the epoch) and answers true the first time it is seen,
 * false on every later call before then. The caller binds it to a namespace (the client, the environment),
 * so one client's identifiers never collide with another's; stores make it one atomic write
 * (Redis `SET NX PXAT`), so two nodes cannot both see a replay as new.
 */
export type ReplayGuard = (jti: string, expiresAt: number) => Promise<boolean>;

export type ReplayKind = 'client_assertion' | 'dpop_proof';

/**
 * A fixed-length, unambiguous name for one replay record: base64url(SHA-256) of the kind, the namespace
 * and the `jti`, so a long or odd `jti` never becomes a long or odd store key.
 */
export function replayRecordId(kind: ReplayKind, namespace: string, jti: string): Promise<string> {
  return sha256Base64Url(JSON.stringify([kind, namespace, jti]));
}

/** The guards the gateway's verifiers are given, over the one ReplayStore every node shares. */
export interface ReplayGuards {
  /** An assertion's `jti`, in the namespace of the client that signed it. */
  clientAssertion(environment: Environment, applicationId: string): ReplayGuard;
  /** A DPoP proof's `jti`, in the namespace of the environment (a proof names no client). */
  dpopProof(environment: Environment): ReplayGuard;
}

export function createReplayGuards(store: ReplayStore): ReplayGuards {
  const bound = (environment: Environment, kind: ReplayKind, namespace: string): ReplayGuard =>
    async (jti, expiresAt) => store.firstSeen(environment, await replayRecordId(kind, namespace, jti), expiresAt);
  // A proof's namespace is its environment: one guard each, made once rather than at every presentation.
  const dpopGuards = Object.fromEntries(
    ENVIRONMENTS.map((environment) => [environment, bound(environment, 'dpop_proof', environment)]),
  ) as Record<Environment, ReplayGuard>;
  return {
    clientAssertion: (environment, applicationId) => bound(environment, 'client_assertion', applicationId),
    dpopProof: (environment) => dpopGuards[environment],
  };
}

/**
 * One process's memory of identifiers, for a verifier with no shared store (`sessionAuth` in a downstream
 * service): replays reaching the same process are refused, replays spread over several processes are not.
 * Bounded: past `maxEntries` live identifiers, the oldest is forgotten first.
 */
export function createInProcessReplayGuard(options: { now?: () => number; maxEntries?: number } = {}): ReplayGuard {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  // jti → expiry (ms); Map order is insertion order, and expiries are near-monotonic for proofs.
  const seen = new Map<string, number>();
  return async (jti, expiresAt) => {
    const at = now();
    dropEnded(seen, at, maxEntries, (until) => until);
    const until = seen.get(jti);
    if (until !== undefined && until > at) return false;
    seen.delete(jti);
    seen.set(jti, expiresAt * 1000);
    return true;
  };
}
