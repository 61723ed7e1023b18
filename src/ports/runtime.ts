// What the runtime provides besides storage: time, logging, and background work.
import type { StoreName } from './store-errors.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Runs work after the response without holding it up (Node: fire and forget; Workers: waitUntil). */
export type Defer = (work: Promise<unknown>) => void;

export const systemClock: Clock = { now: () => Date.now() };

/** A logger that says nothing (tests, and tools that report otherwise). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Operational counters and timings; the Node runtime backs it with prom-client, elsewhere it is a no-op. */
export interface Metrics {
  /** `cache` says whether the issuance cache answered (`hit`), was asked in vain (`miss`) or is turned off. */
  tokenMinted(environment: string, cache: 'hit' | 'miss' | 'off'): void;
  tokenRefused(environment: string, reason: string): void;
  requestObserved(route: string, method: string, status: number, seconds: number): void;
  /** A store's backend was unavailable (StoreUnavailableError), labelled with its name. */
  storeError(store: StoreName): void;
  /** A change notice this node sent to the other nodes, or heard from one (ports/change-feed.ts). */
  changeNotice(event: 'sent' | 'heard'): void;
  /** The Prometheus text exposition, or undefined when this runtime keeps no metrics. */
  render(): Promise<{ contentType: string; body: string } | undefined>;
}

export const noMetrics: Metrics = {
  tokenMinted: () => {},
  tokenRefused: () => {},
  requestObserved: () => {},
  storeError: () => {},
  changeNotice: () => {},
  render: async () => undefined,
};

/** Named readiness probes (`database`, `redis`, …); each throws when its dependency is unreachable. */
export type ReadinessChecks = Record<string, () => Promise<void>>;
