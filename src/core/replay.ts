// Single-use identifiers (`jti` of client assertions and DPoP proofs): the guard the verifiers call, and the record name stores use.
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
