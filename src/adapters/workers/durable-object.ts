// The parts of the Durable Object API keymint's objects use, declared here rather than taken from
// @cloudflare/workers-types so the adapters also compile in the Node typecheck; and how a store calls one.
import type { Clock } from '../../ports/runtime.js';
import { guardStore } from '../../ports/store-errors.js';

/** `DurableObjectStorage`, the part used here. */
export interface DurableStorageLike {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  deleteAll(): Promise<void>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** `DurableObjectState`, the part used here. */
export interface DurableStateLike {
  storage: DurableStorageLike;
  blockConcurrencyWhile<T>(work: () => Promise<T>): Promise<T>;
}

/** `SqlStorage` of a SQLite-backed object, the part used here: statements run synchronously. */
export interface SqlStorageLike {
  exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, unknown>[] };
}

/** The state of a SQLite-backed object (`new_sqlite_classes`), with its SQL API. */
export interface SqlDurableStateLike extends DurableStateLike {
  storage: DurableStorageLike & { sql: SqlStorageLike };
}

/** A `DurableObjectNamespace` binding, the part used here. */
export interface DurableNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/**
 * Sends one operation to the object named `name` and returns its JSON answer. Any failure to reach it or any
 * answer but 200 (overloaded, reset, an exception inside) is the store being unavailable.
 */
export function callObject<Answer>(namespace: DurableNamespaceLike, name: string, operation: object): Promise<Answer> {
  return guardStore('durable-object', async () => {
    const stub = namespace.get(namespace.idFromName(name) as never);
    const response = await stub.fetch('https://durable-object.keymint.internal/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(operation),
    });
    if (!response.ok) throw new Error(`the Durable Object answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Answer;
  });
}

/**
 * What every store over Durable Objects shares: the binding, the name prefix (`KEYMINT_REDIS_PREFIX`) and the
 * caller's clock, whose time it sends along (tests move it), and a call to the object named `{prefix}:{name}`.
 */
export abstract class DurableObjectClient {
  protected readonly prefix: string;
  protected readonly clock: Clock;

  constructor(
    private readonly namespace: DurableNamespaceLike,
    options: { prefix?: string; clock: Clock },
  ) {
    this.prefix = options.prefix ?? 'km';
    this.clock = options.clock;
  }

  protected callObject<Answer>(name: string, operation: object): Promise<Answer> {
    return callObject<Answer>(this.namespace, `${this.prefix}:${name}`, operation);
  }
}
