// What an action did, in words: the notice the page after its redirect shows once (session.ts carries it there).
import type { Context } from 'hono';
import { flashNotice, takeNotice } from './session.js';

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

const NOTICES = {
  disabled: () => 'Key disabled: it can no longer mint session tokens. Sessions minted before stay valid until they expire.',
  enabled: () => 'Key enabled: it can mint session tokens again.',
  deleted: () =>
    'Key deleted: its application ID and secret can no longer mint session tokens. Sessions minted before stay valid until they expire.',
  'deleted-and-revoked': () =>
    'Key deleted and its live sessions revoked: neither its application ID and secret nor its session tokens work any more.',
  'sessions-revoked': (count?: number) =>
    count === undefined
      ? 'Sessions revoked.'
      : `Sessions revoked: ${plural(count, 'live session', 'live sessions')} of the key can no longer be used.`,
  'previous-retired': () => 'Previous pair retired: its application ID and secret no longer mint session tokens.',
  'key-created-without-secret': () =>
    'Key created. It has no secret: the client authenticates with assertions signed by the private key of a public key below.',
  'application-id-regenerated': () =>
    'New application ID made: assertions must name it as iss and sub; the old one no longer mints session tokens. The public keys stay.',
  'key-saved': () => 'Key saved: token requests see the change at once.',
  'expiry-extended': () => 'Expiry extended: the key keeps minting session tokens until its new expiry.',
  'admin-token-revoked': () => 'Admin token revoked: it no longer signs in or calls the admin API, and its console sessions have ended.',
  'webhook-deleted': () => 'Webhook deleted: it receives no more events, and its pending deliveries are dropped.',
  'signing-key-rotated': () =>
    'Signing key rotated: new session tokens are signed with the new key; the old public key stays in the JWKS until the tokens it signed expire.',
} satisfies Record<string, (count?: number) => string>;

export type Notice = keyof typeof NOTICES;

/** Shows `notice` on the page the response redirects to, once. */
export function announce(c: Context, notice: Notice, count?: number): void {
  flashNotice(c, count === undefined ? notice : `${notice}:${count}`);
}

/** The notice flashed for this page, in words; it will not show again. */
export function takeNoticeText(c: Context): string | undefined {
  const raw = takeNotice(c);
  if (!raw) return undefined;
  const [name, count] = raw.split(':');
  if (!Object.hasOwn(NOTICES, name!)) return undefined;
  return NOTICES[name as Notice](count === undefined ? undefined : Number(count));
}
