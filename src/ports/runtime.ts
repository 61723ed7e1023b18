// What the runtime provides besides storage: time, logging, and background work.
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
