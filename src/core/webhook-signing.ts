// Standard Webhooks signing: the `whsec_` secret, and the `webhook-*` headers of one delivery attempt.
import { fromBase64Url, toBase64, utf8 } from '../shared/encoding.js';

const SECRET_PREFIX = 'whsec_';
/** The specification asks for 24 to 64 random bytes; 32 is what most senders use. */
const SECRET_BYTES = 32;

/** `whsec_` + standard base64 of 32 random bytes: shown once to the webhook's owner, kept (sealed) to sign with. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

export function isWebhookSecret(secret: string): boolean {
  return /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/.test(secret);
}

/** The headers of one attempt to deliver `body` as message `id` at `timestampSeconds` (the attempt's own time). */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * `v1,` + base64 HMAC-SHA-256, keyed with the secret's bytes, of `id.timestamp.body` — exactly the bytes sent.
 * A new timestamp (and so a new signature) is made for every attempt, so a receiver's replay window holds.
 */
export async function signWebhookMessage(
  secret: string,
  message: { id: string; timestampSeconds: number; body: string },
): Promise<WebhookSignatureHeaders> {
  if (!isWebhookSecret(secret)) throw new TypeError('not a whsec_ webhook secret');
  const key = await crypto.subtle.importKey(
    'raw',
    fromBase64Url(secret.slice(SECRET_PREFIX.length)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const timestamp = String(Math.floor(message.timestampSeconds));
  const signed = await crypto.subtle.sign('HMAC', key, utf8(`${message.id}.${timestamp}.${message.body}`));
  return {
    'webhook-id': message.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${toBase64(new Uint8Array(signed))}`,
  };
}
