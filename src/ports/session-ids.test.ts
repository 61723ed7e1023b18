// Session ids carry their key's partition: stable per key, spread across keys, absent from older ids.
import { describe, expect, it } from 'vitest';
import { newSessionId, partitionOfSessionId, sessionPartition } from './session-ids.js';

describe('session ids', () => {
  it('start with the key’s partition, the same for every id of that key, then 24 random base62 characters', () => {
    const first = newSessionId('key_0000000000000000000001');
    const second = newSessionId('key_0000000000000000000001');
    expect(first).toMatch(/^[0-9A-Za-z]{4}\.[0-9A-Za-z]{24}$/);
    expect(first).not.toBe(second);
    expect(partitionOfSessionId(first)).toBe(sessionPartition('key_0000000000000000000001'));
    expect(partitionOfSessionId(second)).toBe(partitionOfSessionId(first));
  });

  it('spread keys over partitions: a thousand time-ordered key ids land in nearly a thousand of them', () => {
    const partitions = new Set(Array.from({ length: 1000 }, (_, i) => sessionPartition(`key_0000${String(i).padStart(18, '0')}`)));
    expect(partitions.size).toBeGreaterThan(990);
  });

  it('name no partition for an id minted before they had one (24 base62 characters), nor for anything else', () => {
    expect(partitionOfSessionId('Zx81kQ0pLm3n7Vb2Cd5Fg9Hj')).toBeUndefined();
    expect(partitionOfSessionId('')).toBeUndefined();
    expect(partitionOfSessionId('ab.c')).toBeUndefined();
  });
});
