// ChangeFeed: how the gateway nodes sharing one database tell each other that something their caches hold changed.
import { isEnvironment, type Environment } from '../shared/domain.js';

/** What changed. Every kind is an invalidation: a node drops what it cached about it and reads it again. */
export type Change =
  /** A key's row changed or went: PATCH, regenerate, disable, enable, delete (and a roll's overlap ending). */
  | { kind: 'key'; keyId: string }
  /** Every live session of a key was revoked. */
  | { kind: 'key-sessions'; keyId: string }
  /** An account admin token changed or went. */
  | { kind: 'admin-token'; tokenId: string }
  /** An environment's signing keys changed: a rotation, or the next key published ahead of its use. */
  | { kind: 'signing-keys'; environment: Environment };

/** What a subscriber hears: another node's change, or `everything` when changes may have been missed. */
export type ChangeNotice = Change | { kind: 'everything' };

export type ChangeListener = (notice: ChangeNotice) => void;

export interface ChangeFeed {
  /**
   * Tells the other nodes (not this one: the caller applies its own change itself). Never rejects: a notice that
   * cannot be sent now is retried in the background, and `healthy()` turns false meanwhile.
   */
  publish(change: Change): Promise<void>;
  /**
   * Other nodes' changes, and `{ kind: 'everything' }` whenever the feed was down and changes may have been
   * missed (and when it goes down, so that nothing cached before is kept on trust). Returns the unsubscribe.
   */
  subscribe(listener: ChangeListener): () => void;
  /** Whether other nodes' changes reach this node now (false while the subscription is down or unproven). */
  healthy(): boolean;
  close(): Promise<void>;
}

/** A change as it travels between nodes: `origin` lets a node skip its own. */
export interface ChangeMessage {
  origin: string;
  change: Change;
}

const ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A change read from the wire, or undefined for anything else (a feed never trusts what it hears). */
export function readChangeMessage(text: string): ChangeMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { origin, change } = parsed as { origin?: unknown; change?: unknown };
  if (typeof origin !== 'string' || !ID.test(origin) || typeof change !== 'object' || change === null) return undefined;
  const fields = change as Record<string, unknown>;
  const id = (name: string) => (typeof fields[name] === 'string' && ID.test(fields[name]) ? (fields[name] as string) : undefined);
  switch (fields.kind) {
    case 'key':
    case 'key-sessions': {
      const keyId = id('keyId');
      return keyId === undefined ? undefined : { origin, change: { kind: fields.kind, keyId } };
    }
    case 'admin-token': {
      const tokenId = id('tokenId');
      return tokenId === undefined ? undefined : { origin, change: { kind: 'admin-token', tokenId } };
    }
    case 'signing-keys':
      return isEnvironment(fields.environment) ? { origin, change: { kind: 'signing-keys', environment: fields.environment } } : undefined;
    default:
      return undefined;
  }
}
