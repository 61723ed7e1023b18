// What every port's conformance suite is given: a fresh store per test, a clock it can move, a way to break the backend.
import { afterEach, expect } from 'vitest';
import type { KeyRecord } from '../key-store.js';
import type { Clock } from '../runtime.js';
import { StoreUnavailableError, type StoreName } from '../store-errors.js';

export interface ContractClock extends Clock {
  /**
   * Moves time on by `ms`. A controlled clock jumps; the real clock — for a backend that expires data on
   * its own clock, as Redis does — is waited for, so suites keep their deadlines a second or two away.
   */
  advance(ms: number): Promise<void>;
}

/** A clock that stands still until the suite moves it, starting at the real time. */
export function controlledClock(start = Date.now()): ContractClock {
  let now = start;
  return {
    now: () => now,
    advance: async (ms) => void (now += ms),
  };
}

/** The real clock; advancing it waits. */
export function realClock(): ContractClock {
  return {
    now: () => Date.now(),
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** Moves `clock` on to `deadline` (ms), and `margin` beyond it. */
export async function advancePast(clock: ContractClock, deadline: number, margin = 50): Promise<void> {
  await clock.advance(Math.max(0, deadline - clock.now()) + margin);
}

export interface StoreFixture<Store> {
  store: Store;
  clock: ContractClock;
  /**
   * Makes the store's backend fail from now on (closes its connection, or turns its binding into one that
   * fails as the service does when it is down). Absent where the backend cannot fail: process memory.
   */
  outage?: { store: StoreName; begin(): void | Promise<void> };
  /** Releases what the fixture opened (connections, files). */
  dispose?(): void | Promise<void>;
}

/**
 * Opens fixtures from `factory` for the tests of one suite, and disposes of each after its test.
 * Call inside the suite's `describe`.
 */
export function openFixtures<Fixture extends StoreFixture<unknown>>(
  factory: () => Fixture | Promise<Fixture>,
): () => Promise<Fixture> {
  const opened: Fixture[] = [];
  afterEach(async () => {
    for (const fixture of opened.splice(0)) await fixture.dispose?.();
  });
  return async () => {
    const fixture = await factory();
    opened.push(fixture);
    return fixture;
  };
}

/** Asserts that `work` fails with the one outage error, naming `store`. */
export async function expectUnavailable(work: Promise<unknown>, store: StoreName): Promise<void> {
  const error: unknown = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect((error as StoreUnavailableError).store).toBe(store);
}

let sequence = 0;
const run = crypto.randomUUID().slice(0, 8);

/**
 * An id unique to this run that sorts after every id this function made before it: backends that share
 * one database or namespace across tests (D1, KV, Redis) keep each test's data apart, and ids that the
 * port orders (keys, operations) come out in the order they were made.
 */
export function nextId(prefix: string): string {
  sequence += 1;
  return `${prefix}${run}${String(sequence).padStart(8, '0')}`;
}

/** The fields of a plain secret key (SPEC §4) beyond §4's own: no JWKs, no DPoP, no limits, no previous pair. */
export const SECRET_KEY_DEFAULTS = {
  authMethod: 'client_secret',
  jwks: null,
  requireDpop: false,
  rateLimit: null,
  quota: null,
  tokenRateLimit: null,
  previous: null,
} as const satisfies Partial<KeyRecord>;

/** One active secret key of sandbox (`key_1`, `app_sandbox_1`, scope `read`), for unit tests of the core. */
export function sampleKeyRecord(): KeyRecord {
  return {
    ...SECRET_KEY_DEFAULTS,
    id: 'key_1',
    accountId: 'acct_1',
    environment: 'sandbox',
    name: 'partner',
    applicationId: 'app_sandbox_1',
    secretHash: 'h',
    secretHint: 'h',
    scopes: ['read'],
    status: 'active',
    createdAt: 1,
    updatedAt: 1,
    lastUsedAt: null,
    expiresAt: null,
  };
}
