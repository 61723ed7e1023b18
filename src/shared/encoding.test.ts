import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, randomBase62 } from './encoding.js';

describe('randomBase62', () => {
  it('gives the asked length from the base62 alphabet, across many refills of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const value = randomBase62(24);
      expect(value).toMatch(/^[0-9A-Za-z]{24}$/);
      seen.add(value);
    }
    expect(seen.size).toBe(2_000);
  });

  it('uses every character about equally often (no modulo bias towards the first ones)', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62 * 2_000);
    for (const character of sample) counts.set(character, (counts.get(character) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const character of BASE62_ALPHABET) {
      // Expected 2,000 each; ±15 % is more than 6 standard deviations (σ ≈ 44.4).
      expect(counts.get(character)).toBeGreaterThan(1_700);
      expect(counts.get(character)).toBeLessThan(2_300);
    }
  });
});
