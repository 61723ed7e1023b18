// A wait with a deadline, for any layer: what a promise gives, or a stand-in once the deadline has passed.

/** What `promise` gives, or `fallback()` when it has not settled within `ms` (a rejected fallback rejects). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: () => F | Promise<F>): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback()), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
