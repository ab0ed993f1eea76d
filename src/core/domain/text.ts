/** Text measured and cut the way the limits count it: UTF-8 bytes (Hangul is 3), code points. */
import { utf8Bytes } from '../../contract/protocol';

/** Cuts `text` to at most `maxBytes` UTF-8 bytes on a code-point boundary: [head, rest]. */
export function cutUtf8(text: string, maxBytes: number): [string, string] {
  if (utf8Bytes(text) <= maxBytes) return [text, ''];
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    const b = utf8Bytes(ch);
    if (bytes + b > maxBytes) break;
    bytes += b;
    i += ch.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** The first `n` code points of `text` (never half a surrogate pair). */
export function firstChars(text: string, n: number): string {
  return Array.from(text).slice(0, n).join('');
}
