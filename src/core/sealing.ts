// Seals signing keys at rest with the key-encryption key (AES-256-GCM through WebCrypto).
import { fromBase64Url, toBase64Url, utf8 } from '../shared/encoding.js';

const SEALED_PREFIX = 'v1.';

export interface Sealer {
  seal(plaintext: string): Promise<string>;
  open(stored: string): Promise<string>;
}

export class SealingError extends Error {
  override name = 'SealingError';
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** With no KEK, keys are stored as they are (the runtime warns); sealed ones then cannot be opened. */
export async function createSealer(kek: string | undefined): Promise<Sealer> {
  if (kek === undefined) {
    return {
      seal: async (plaintext) => plaintext,
      open: async (stored) => {
        if (isSealed(stored)) throw new SealingError('a signing key is sealed, but KEYMINT_KEK is not set');
        return stored;
      },
    };
  }
  const key = await crypto.subtle.importKey('raw', fromBase64Url(kek.replace(/=$/, '')), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  return {
    async seal(plaintext) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, utf8(plaintext));
      return `${SEALED_PREFIX}${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
    },
    async open(stored) {
      if (!isSealed(stored)) return stored;
      const [, iv, data] = stored.split('.');
      try {
        const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64Url(iv!) }, key, fromBase64Url(data!));
        return new TextDecoder().decode(plain);
      } catch {
        throw new SealingError('a signing key cannot be opened with this KEYMINT_KEK');
      }
    },
  };
}
