// Session ids (a session token's `jti`): `<partition>.<random>`, where the partition names the API key that minted
// it, so a SessionStore can keep every record of one key together (one Redis Cluster hash slot) and still find
// a session from its jti alone.
import { randomBase62, toBase62 } from '../shared/encoding.js';

const PARTITION_LENGTH = 4;
const PARTITIONS = 62 ** PARTITION_LENGTH;
const RANDOM_LENGTH = 24;
const PARTITIONED = /^([0-9A-Za-z]{4})\./;

/**
 * Four base62 characters of the key id's FNV-1a hash: the same key always lands in the same partition, and
 * different keys spread over ~14.8 million partitions (a collision only puts two keys' records side by side).
 * A hash rather than the key id keeps the jti short and the key id out of the token.
 */
export function sessionPartition(keyId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < keyId.length; i++) {
    hash ^= keyId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return toBase62(hash % PARTITIONS, PARTITION_LENGTH);
}

/** A fresh session id for a token minted by `keyId`: its partition, a dot, 24 random base62 characters (143 bits). */
export function newSessionId(keyId: string): string {
  return `${sessionPartition(keyId)}.${randomBase62(RANDOM_LENGTH)}`;
}

/**
 * The partition of `keyId`'s sessions, where a store keeps `record` (and the token it may cache for reuse).
 * Throws TypeError — a caller's mistake, not an outage — for a record that would land where neither its key
 * nor its jti leads, or a cached token of another key.
 */
export function partitionForRecord(record: { jti: string; keyId: string }, issuedFor?: { keyId: string }): string {
  const partition = sessionPartition(record.keyId);
  if (partitionOfSessionId(record.jti) !== partition) {
    throw new TypeError(`session id ${record.jti} was not made for key ${record.keyId} (use newSessionId)`);
  }
  if (issuedFor && issuedFor.keyId !== record.keyId) {
    throw new TypeError(`the issuance slot of key ${issuedFor.keyId} cannot hold a session of key ${record.keyId}`);
  }
  return partition;
}

/**
 * The partition a session id names, or undefined for an id without one: tokens minted before partitions
 * (24 base62 characters), which a store finds under its older, unpartitioned names.
 */
export function partitionOfSessionId(jti: string): string | undefined {
  return PARTITIONED.exec(jti)?.[1];
}
