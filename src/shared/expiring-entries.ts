// Bounded in-process memories kept in a Map in (near) expiry order: entries leave from the front.

/**
 * Drops from the front of `entries` (a Map whose insertion order is, near enough, expiry order) those that ended by
 * `at`, and more while it holds `maxEntries` or more, so one more entry fits. Stops at the first live entry, so the
 * work is amortised over the insertions; an entry out of order behind a live one waits until it reaches the front.
 */
export function dropEnded<K, V>(entries: Map<K, V>, at: number, maxEntries: number, endOf: (value: V) => number): void {
  for (const [key, value] of entries) {
    if (endOf(value) > at && entries.size < maxEntries) break;
    entries.delete(key);
  }
}
