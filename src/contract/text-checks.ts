/**
 * Whether a text shows anything: a message or title made only of whitespace, control characters
 * (NUL…), format characters (zero-width space U+200B, ZWNJ U+200C, ZWJ U+200D, word joiner U+2060,
 * BOM U+FEFF, soft hyphen…), lone surrogates or the blank-looking fillers (Hangul fillers
 * U+115F U+1160 U+3164 U+FFA0, braille blank U+2800, variation selectors, combining grapheme
 * joiner U+034F) is refused. Such characters among real text are kept. Pure: the browser bundle
 * may use it.
 */
const INVISIBLE = /^[\s\p{Z}\p{Cc}\p{Cf}\p{Cs}\u034F\u115F\u1160\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]*$/u;

/** True when the text has at least one visible character. */
export function hasVisibleText(text: string): boolean {
  return !INVISIBLE.test(text);
}

/** The refusal of a text that shows nothing, naming what it holds. */
export function invisibleTextMessage(what: 'message' | 'title'): string {
  return `The ${what} is empty: it has only spaces, control or zero-width characters.`;
}
