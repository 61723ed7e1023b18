// When a webhook delivery is tried again: the Standard Webhooks schedule, with jitter, for at least 24 hours.
/**
 * The waits after each failed attempt (the first attempt is at once): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, as
 * the Standard Webhooks specification suggests — eight attempts over 27 h 35 min. A delivery whose eighth attempt
 * fails is `failed`.
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_MS.length + 1;

/** Each wait is moved by up to ±10 %, so deliveries that failed together (a receiver's outage) do not return together. */
export const WEBHOOK_JITTER = 0.1;

/**
 * When to try again after `attempts` attempts have failed, or null when that was the last one.
 * `random` is in [0, 1) (Math.random, or a fixed value in tests).
 */
export function nextWebhookAttemptAt(attempts: number, failedAt: number, random: () => number = Math.random): number | null {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a whole number ≥ 1, not ${attempts}`);
  const delay = WEBHOOK_RETRY_DELAYS_MS[attempts - 1];
  if (delay === undefined) return null;
  return failedAt + Math.round(delay * (1 + WEBHOOK_JITTER * (2 * random() - 1)));
}
