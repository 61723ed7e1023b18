// Raises every ioredis failure as the store's "unavailable" error, which callers answer with 503.
// (redis-session-store.ts keeps its own copy; the storage-ports split gives all of them one guard.)
import { SessionStoreUnavailableError } from '../../ports/session-store.js';

export async function guardRedis<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new SessionStoreUnavailableError(`redis: ${(error as Error).message}`, { cause: error });
  }
}
