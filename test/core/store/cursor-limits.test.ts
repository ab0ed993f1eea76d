import { decodeCursor, encodeCursor } from '../../../src/core/store/cursor';
import { cursorKeyFits, fitsKey, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from '../../../src/core/store/cursor-limits';

const ofBytes = (n: number) => '한'.repeat(Math.floor(n / 3)) + 'a'.repeat(n % 3);

describe('cursor keys within DynamoDB key sizes', () => {
  test('partition keys up to 2048 UTF-8 bytes, sort keys up to 1024; empty strings, non-strings and lone surrogates never', () => {
    expect(fitsKey(ofBytes(MAX_PARTITION_KEY_BYTES), MAX_PARTITION_KEY_BYTES)).toBe(true);
    expect(fitsKey(ofBytes(MAX_PARTITION_KEY_BYTES + 1), MAX_PARTITION_KEY_BYTES)).toBe(false);
    expect(fitsKey(ofBytes(MAX_SORT_KEY_BYTES), MAX_SORT_KEY_BYTES)).toBe(true);
    expect(fitsKey(ofBytes(MAX_SORT_KEY_BYTES + 1), MAX_SORT_KEY_BYTES)).toBe(false);
    for (const v of ['', 5, null, undefined, ['a'], 'a\ud800', '\udc00a']) expect([v, fitsKey(v, MAX_SORT_KEY_BYTES)]).toEqual([v, false]);
    expect(fitsKey('😀', MAX_SORT_KEY_BYTES)).toBe(true);
    expect(cursorKeyFits({ pk: ofBytes(2048), sk: ofBytes(1024) }, ['pk'], ['sk'])).toBe(true);
    expect(cursorKeyFits({ pk: ofBytes(2049), sk: ofBytes(1024) }, ['pk'], ['sk'])).toBe(false);
    expect(cursorKeyFits({ pk: ofBytes(2048), sk: ofBytes(1025) }, ['pk'], ['sk'])).toBe(false);
  });

  test('decodeCursor refuses a sort key one byte over the limit and takes one at it', () => {
    const at = { pk: 'C#u#c', sk: `M#${ofBytes(MAX_SORT_KEY_BYTES - 2)}` };
    expect(decodeCursor(encodeCursor(at), { pk: 'C#u#c' }, { sk: 'M#' })).toEqual(at);
    expect(() => decodeCursor(encodeCursor({ ...at, sk: `${at.sk}a` }), { pk: 'C#u#c' }, { sk: 'M#' })).toThrow('bad cursor');
  });
});
