// Names people give accounts, keys and admin tokens: printable text only, so no name can drive a terminal or reorder a page.

/**
 * C0 and C1 controls and DEL (`\p{Cc}`: NUL, ESC, CR, LF, TAB, U+009B CSI…), the line and paragraph
 * separators, and the bidirectional controls that make text display in another order than it is stored
 * (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
 */
const UNSAFE_CLASS = '[\\p{Cc}\\u061C\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]';
const UNSAFE_CHARACTER = new RegExp(UNSAFE_CLASS, 'u');
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CLASS, 'gu');

/** `U+001B`: how a refused character is named in error messages (it cannot be shown as itself). */
export function codePointLabel(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first character of `name` that a name may not hold, named as `U+XXXX`; undefined when it has none. */
export function unsafeNameCharacter(name: string): string | undefined {
  const match = UNSAFE_CHARACTER.exec(name);
  if (match) return codePointLabel(match[0]);
  // A lone surrogate (possible in JSON's \uD800) is not text at all.
  if (!name.isWellFormed()) return 'a lone surrogate';
  return undefined;
}

/**
 * `text` with every character a name may not hold replaced by `escape(codePoint)`: how text stored before
 * names were checked (or sent by a gateway one does not trust) is shown without driving a terminal.
 */
export function escapeUnsafeCharacters(text: string, escape: (codePoint: number) => string): string {
  return text.replace(UNSAFE_CHARACTERS, (character) => escape(character.codePointAt(0)!));
}
