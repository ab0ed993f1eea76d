/* eslint-disable no-bitwise -- image headers are binary fields */
import { crc32, deflateSync } from 'node:zlib';

// Real files made byte by byte for the attachment tests: a PNG any viewer opens, the headers of the
// other image formats, a one-page PDF, the containers of the Office formats and executables.

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid RGB PNG of `w`×`h` pixels (one colour), `pad` extra bytes in a private ancillary chunk. */
export function png(w: number, h: number, pad = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  // Rows are only made for small images; large sizes are header-only tests (the sniffer reads IHDR).
  const rows = w * h <= 1_000_000 ? Buffer.alloc((w * 3 + 1) * h, 0x7f) : Buffer.alloc(0);
  for (let y = 0; y < (rows.length ? h : 0); y++) rows[y * (w * 3 + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(pad > 0 ? [chunk('paDd', Buffer.alloc(pad, 0x41))] : []),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG of exactly `bytes` bytes (padded with an ancillary chunk), 2×2 px unless given. */
export function pngOfSize(bytes: number, w = 2, h = 2): Buffer {
  const base = png(w, h).length + 12; // the padding chunk's own length, type and CRC
  return png(w, h, bytes - base);
}

/** JPEG: SOI, an APP0 segment, then a baseline SOF0 with the size. */
export function jpeg(w: number, h: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 8, h >> 8, h & 0xff, w >> 8, w & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

export function gif(w: number, h: number): Buffer {
  const b = Buffer.alloc(13 + 1);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  b[13] = 0x3b;
  return b;
}

function riff(fourcc: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(payload.length + 12, 4);
  head.write('WEBP', 8, 'latin1');
  const ch = Buffer.alloc(8);
  ch.write(fourcc, 0, 'latin1');
  ch.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, ch, payload]);
}

/** WebP, lossy (VP8), lossless (VP8L) or extended (VP8X) header. */
export function webp(w: number, h: number, kind: 'VP8' | 'VP8L' | 'VP8X' = 'VP8'): Buffer {
  if (kind === 'VP8') {
    const p = Buffer.alloc(10);
    p.set([0x9d, 0x01, 0x2a], 3);
    p.writeUInt16LE(w, 6);
    p.writeUInt16LE(h, 8);
    return riff('VP8 ', p);
  }
  if (kind === 'VP8L') {
    const p = Buffer.alloc(5);
    p[0] = 0x2f;
    p.writeUInt32LE(((w - 1) | ((h - 1) << 14)) >>> 0, 1);
    return riff('VP8L', p);
  }
  const p = Buffer.alloc(10);
  p.writeUIntLE(w - 1, 4, 3);
  p.writeUIntLE(h - 1, 7, 3);
  return riff('VP8X', p);
}

/** A minimal PDF with `pages` pages (each a /Type /Page object). */
export function pdf(pages = 1, text = 'Hello'): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${3 + i} 0 R`).join(' ');
  const objs = [
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
    `2 0 obj << /Type /Pages /Kids [${kids}] /Count ${pages} >> endobj`,
    ...Array.from({ length: pages }, (_, i) => `${3 + i} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj`),
  ];
  return Buffer.from(`%PDF-1.4\n${objs.join('\n')}\n% ${text}\ntrailer << /Root 1 0 R >>\n%%EOF\n`, 'latin1');
}

/** A stored (uncompressed) zip holding `names`, enough for the Office container checks. */
export function zip(names: string[]): Buffer {
  const parts = names.map((n) => {
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(n.length, 26);
    return Buffer.concat([h, Buffer.from(n, 'latin1')]);
  });
  return Buffer.concat([...parts, Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]);
}

export const docx = () => zip(['[Content_Types].xml', '_rels/.rels', 'word/document.xml']);
export const xlsx = () => zip(['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml']);

/** An OLE compound file header followed by a directory entry naming `stream` in UTF-16LE. */
export function ole(stream: 'WordDocument' | 'Workbook'): Buffer {
  const head = Buffer.alloc(512);
  head.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  const dir = Buffer.alloc(128);
  dir.write(stream, 0, 'utf16le');
  return Buffer.concat([head, dir]);
}

/** A Windows PE header (MZ … PE\0\0) and an ELF header: programs a renamed file may hide. */
export function exe(): Buffer {
  const b = Buffer.alloc(256);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}
export function elf(): Buffer {
  const b = Buffer.alloc(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  return b;
}
