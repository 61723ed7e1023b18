// DPoP-Nonce (RFC 9449 §8): stateless nonces, an HMAC of a time window, so any node holding the key can check any node's nonce.
import type { Hmac } from '../ports/crypto.js';
import { timingSafeEqual, toBase64Url } from '../shared/encoding.js';

export const DEFAULT_DPOP_NONCE_WINDOW_SECONDS = 60;
// 22 base64url characters (132 bits) of the HMAC: unguessable, and short enough for a header.
const MAC_LENGTH = 22;
const NONCE = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/;

/**
 * `current`: issued in this window (or the next, by a node whose clock runs a little ahead);
 * `recent`: issued in the previous window, still accepted, but the answer should carry a fresh nonce;
 * `invalid`: forged, altered, of another context, or older than two windows.
 */
export type DpopNonceStanding = 'current' | 'recent' | 'invalid';

export interface DpopNonces {
  /** The nonce to send in `DPoP-Nonce` now (`now` in milliseconds since the epoch). */
  issue(now: number): Promise<string>;
  check(nonce: string, now: number): Promise<DpopNonceStanding>;
}

/**
 * `hmac` is keyed with a server secret shared by every node; `context` (the environment) keeps one
 * environment's nonces from being accepted by the other. A nonce lives between one and two windows.
 */
export function createDpopNonces(hmac: Hmac, options: { context: string; windowSeconds?: number }): DpopNonces {
  const windowSeconds = options.windowSeconds ?? DEFAULT_DPOP_NONCE_WINDOW_SECONDS;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1) throw new TypeError('windowSeconds must be a positive integer');
  const windowOf = (now: number) => Math.floor(now / 1000 / windowSeconds);

  async function mac(window: number): Promise<string> {
    return toBase64Url(await hmac(`dpop-nonce|${options.context}|${window}`)).slice(0, MAC_LENGTH);
  }

  return {
    async issue(now) {
      const window = windowOf(now);
      return `${window.toString(36)}.${await mac(window)}`;
    },
    async check(nonce, now) {
      const parts = NONCE.exec(nonce);
      if (!parts) return 'invalid';
      const window = parseInt(parts[1]!, 36);
      const current = windowOf(now);
      if (window < current - 1 || window > current + 1) return 'invalid';
      if (!timingSafeEqual(parts[2]!, await mac(window))) return 'invalid';
      return window >= current ? 'current' : 'recent';
    },
  };
}
