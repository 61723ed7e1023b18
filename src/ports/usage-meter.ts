// UsageMeter: per key and UTC hour, what the gateway did for it (SPEC §7) — tokens minted, proxied calls by status
// class, refusals by reason — kept at least 90 days, shared by every gateway process.
import type { KeyRef } from './key-ref.js';

export const USAGE_COUNTERS = [
  'tokens',
  '2xx',
  '3xx',
  '4xx',
  '5xx',
  'invalid_credentials',
  'rate_limited',
  'quota_exceeded',
] as const;

/** `tokens` minted; proxied calls answered `2xx` … `5xx`; refusals by reason. */
export type UsageCounter = (typeof USAGE_COUNTERS)[number];

export type UsageCounts = Record<UsageCounter, number>;

/** How long every hour's counts are kept, at least. */
export const USAGE_RETENTION_DAYS = 90;

export interface HourlyUsage {
  /** The UTC hour's first millisecond. */
  hourStartMs: number;
  counts: UsageCounts;
}

export interface UsageMeter {
  /**
   * Adds one to the counter in the current UTC hour (by the injected clock). One pipelined write at most;
   * callers run it after the response (Defer) and log a failure rather than fail the request. A batching meter
   * resolves at once and writes the count with others later (`flush`).
   */
  count(key: KeyRef, counter: UsageCounter): Promise<void>;
  /**
   * The key's hours in [fromMs, toMs) that counted anything, oldest first: what every meter of the store has
   * written (a batching meter writes what it holds first).
   */
  readHours(key: KeyRef, fromMs: number, toMs: number): Promise<HourlyUsage[]>;
  /** A batching meter: writes the counts it holds back now. */
  flush?(): Promise<void>;
}

/** Counts gathered elsewhere: `amount` added to `counter` in the UTC hour that starts at `hourStartMs`. */
export interface UsageIncrement {
  key: KeyRef;
  counter: UsageCounter;
  hourStartMs: number;
  amount: number;
}

/** What a meter did not write of a batch of increments, and the first reason. */
export interface UsageWriteOutcome {
  /** Refused for sure (never applied): safe to send again. */
  unwritten: UsageIncrement[];
  /** Counts whose write may or may not have been applied (a timeout, a connection lost after sending). */
  lost: number;
  error?: unknown;
}

/** A meter that takes increments in batches (the store under a batching meter). */
export interface UsageWriter {
  add(increments: readonly UsageIncrement[]): Promise<UsageWriteOutcome>;
}

export function emptyCounts(): UsageCounts {
  return { tokens: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, invalid_credentials: 0, rate_limited: 0, quota_exceeded: 0 };
}

/** The counter of a proxied call that the upstream (or the proxy itself: 502, 504) answered with `status`. */
export function statusCounter(status: number): UsageCounter {
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * How long a meter keeps what it counted, from the start of the UTC day it counted in: a day's counts live their
 * 90 days after the day ends, and a day's grace for lagging clocks: 92 days.
 */
export const USAGE_KEEP_MS = (USAGE_RETENTION_DAYS + 2) * DAY_MS;
