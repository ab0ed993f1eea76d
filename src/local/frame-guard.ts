/**
 * Watches the raw bytes a WebSocket client sends and reports the first frame whose payload is
 * over a limit. `ws` only limits whole messages; API Gateway also limits each frame (32 KB) and
 * closes the connection with 1009 when one is bigger, and the browser client depends on that
 * behaviour to split its messages, so the emulator has to see frame headers itself.
 */

/* eslint-disable no-bitwise -- RFC 6455 frame headers are bit fields */

/** Reads frame headers (RFC 6455 §5.2) from a byte stream and skips their payloads. */
export class FrameSizeGuard {
  private header: Buffer = Buffer.alloc(0);
  private skip = 0;
  private tripped = false;

  /**
   * @param maxPayloadBytes the largest payload a single frame may have
   * @param onOversize called once, with the frame's payload length, for the first bigger frame
   */
  constructor(private readonly maxPayloadBytes: number, private readonly onOversize: (length: number) => void) {}

  /** Feeds the next chunk read from the socket. */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.tripped) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - offset);
        this.skip -= n;
        offset += n;
        continue;
      }
      // Gather the fixed 2 bytes, then as many more as the header says it has.
      const need = this.header.length < 2 ? 2 : headerLength(this.header);
      const take = Math.min(need - this.header.length, chunk.length - offset);
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.header.length < 2 || this.header.length < headerLength(this.header)) continue;
      const length = payloadLength(this.header);
      this.header = Buffer.alloc(0);
      if (length > this.maxPayloadBytes) {
        this.tripped = true;
        this.onOversize(length);
        return;
      }
      this.skip = length;
    }
  }
}

function headerLength(h: Buffer): number {
  const len7 = h[1] & 0x7f;
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const mask = h[1] & 0x80 ? 4 : 0;
  return 2 + extended + mask;
}

function payloadLength(h: Buffer): number {
  const len7 = h[1] & 0x7f;
  if (len7 === 126) return h.readUInt16BE(2);
  if (len7 === 127) return Number(h.readBigUInt64BE(2));
  return len7;
}
