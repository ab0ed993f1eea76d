/* eslint-disable no-bitwise -- RFC 6455 frame headers are bit fields */
import { FrameSizeGuard } from '../../src/local/frame-guard';

/** A masked client frame header for `length` payload bytes (payload bytes not included). */
function header(length: number, opcode = 0x1): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  if (length < 126) return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | length]), mask]);
  if (length < 65536) {
    const h = Buffer.from([0x80 | opcode, 0x80 | 126, 0, 0]);
    h.writeUInt16BE(length, 2);
    return Buffer.concat([h, mask]);
  }
  const h = Buffer.alloc(10);
  h[0] = 0x80 | opcode;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([h, mask]);
}

describe('frame size guard', () => {
  test('passes frames up to the limit, split across chunks at every byte, and trips on the first bigger one', () => {
    const seen: number[] = [];
    const guard = new FrameSizeGuard(32768, (n) => seen.push(n));
    const stream = Buffer.concat([
      header(5), Buffer.alloc(5),
      header(300), Buffer.alloc(300),
      header(32768), Buffer.alloc(32768),
      header(32769), Buffer.alloc(10),
    ]);
    // One byte at a time: header parsing must survive any split.
    for (let i = 0; i < stream.length; i++) guard.push(stream.subarray(i, i + 1));
    expect(seen).toEqual([32769]);
  });

  test('reads 64-bit lengths and reports only once', () => {
    const seen: number[] = [];
    const guard = new FrameSizeGuard(32768, (n) => seen.push(n));
    guard.push(Buffer.concat([header(70000), Buffer.alloc(100)]));
    guard.push(Buffer.concat([header(80000)]));
    expect(seen).toEqual([70000]);
  });

  test('counts control frames between data frames without tripping', () => {
    const seen: number[] = [];
    const guard = new FrameSizeGuard(32768, (n) => seen.push(n));
    guard.push(Buffer.concat([header(10, 0x9), Buffer.alloc(10), header(32768, 0x2), Buffer.alloc(32768), header(0, 0x8)]));
    expect(seen).toEqual([]);
  });
});
