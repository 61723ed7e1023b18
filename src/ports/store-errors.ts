// StoreUnavailableError: the one error every store raises when its backend cannot be reached or used.

/** The backends keymint keeps state in, as errors, logs and metrics name them. */
export type StoreName = 'redis' | 'kv' | 'durable-object' | 'sqlite' | 'postgres' | 'd1';

/** Which of keymint's two kinds of state a backend holds (docs/storage.md); callers word an outage by it. */
export type StoreRole = 'session store' | 'database';

const ROLES: Record<StoreName, StoreRole> = {
  redis: 'session store',
  kv: 'session store',
  'durable-object': 'session store',
  sqlite: 'database',
  postgres: 'database',
  d1: 'database',
};

/**
 * A store's backend cannot answer right now (down, unreachable, busy past its timeout, closed). Callers
 * answer 503 and retry later; anything else a store throws is a fault (a bug), answered 500.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly role: StoreRole;

  constructor(
    readonly store: StoreName,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${store}: ${detail}`, options);
    this.role = ROLES[store];
  }
}

/**
 * Runs one store operation, raising what it throws as StoreUnavailableError when `isOutage` says the
 * backend failed (by default: always, for clients whose every error is a connection or server fault).
 */
export async function guardStore<T>(
  store: StoreName,
  work: () => Promise<T>,
  isOutage: (error: unknown) => boolean = () => true,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreUnavailableError || !isOutage(error)) throw error;
    throw new StoreUnavailableError(store, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
