import { describe, expect, it } from 'vitest';
import { escapeUnsafeCharacters, unsafeNameCharacter } from './names.js';

describe('unsafeNameCharacter', () => {
  it.each([
    ['a\u0000b', 'U+0000'],
    ['\u001b[1m', 'U+001B'],
    ['line\nbreak', 'U+000A'],
    ['c1\u0090', 'U+0090'],
    ['bidi\u202Eoverride', 'U+202E'],
    ['isolate\u2066', 'U+2066'],
    ['arabic mark \u061C', 'U+061C'],
    ['mark\u200F', 'U+200F'],
    ['a\ud800', 'a lone surrogate'],
  ])('names the first refused character of %j', (name, found) => {
    expect(unsafeNameCharacter(name)).toBe(found);
  });

  it.each(['plain', 'Café', '日本語', 'emoji 👩‍💻 with a joiner', 'non\u00a0breaking', 'persian\u200cjoiner'])('accepts %j', (name) => {
    expect(unsafeNameCharacter(name)).toBeUndefined();
  });
});

describe('escapeUnsafeCharacters', () => {
  it('replaces every refused character, astral and combining text left alone', () => {
    const shown = escapeUnsafeCharacters('a\u001bb\u202Ec😀\u0007', (codePoint) => `<${codePoint.toString(16)}>`);
    expect(shown).toBe('a<1b>b<202e>c😀<7>');
  });
});
