/* eslint-disable no-bitwise -- image headers are binary fields */
/**
 * What an uploaded file really is, from its bytes and never its name: magic numbers, image sizes
 * from the headers, a rough PDF page count, the Office containers (zip for docx/xlsx, OLE compound
 * files for doc/xls) and UTF-8 text. Pure; the handlers run it on the object they read back from
 * the bucket before an attachment becomes `ready` (docs/PROTOCOL.md §15).
 */
import {
  ATTACHMENT_ERRORS, AttachmentProblem, AttachmentType, DOCUMENT_TYPES, IMAGE_TYPES, isImageType, MAX_IMAGE_SIDE_PX, maxBytesFor,
} from '../../contract/attachments';

/** What the bytes are. */
export type SniffedKind = 'png' | 'jpeg' | 'gif' | 'webp' | 'pdf' | 'docx' | 'xlsx' | 'doc' | 'xls' | 'zip' | 'ole' | 'text' | 'executable' | 'unknown';

export interface Sniffed {
  kind: SniffedKind;
  width?: number;
  height?: number;
  /** PDF pages, roughly: the page objects found, or the page tree's /Count. */
  pages?: number;
}

/** What a verified attachment adds to its metadata. */
export interface VerifiedContent {
  width?: number;
  height?: number;
  pages?: number;
}

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const le24 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const EXECUTABLES: readonly (readonly number[])[] = [
  ascii('MZ'), // DOS/Windows PE
  [0x7f, 0x45, 0x4c, 0x46], // ELF
  [0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe], // Mach-O
  [0xca, 0xfe, 0xba, 0xbe], // Mach-O universal / Java class
  [0x00, 0x61, 0x73, 0x6d], // WebAssembly
];

/** Index of `needle` in `hay` from `from`, or -1. */
function indexOf(hay: Uint8Array, needle: readonly number[], from = 0, to = hay.length): number {
  const last = Math.min(to, hay.length) - needle.length;
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function pngSize(b: Uint8Array): Sniffed {
  // The first chunk is IHDR: length(4) "IHDR" width(4) height(4).
  if (b.length < 24 || !startsWith(b, ascii('IHDR'), 12)) return { kind: 'unknown' };
  return { kind: 'png', width: be32(b, 16), height: be32(b, 20) };
}

function jpegSize(b: Uint8Array): Sniffed {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return { kind: 'unknown' };
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { i += 2; continue; } // no length
    if (marker === 0xd9 || marker === 0xda) break; // end, or scan data before any frame header
    const len = be16(b, i + 2);
    if (len < 2) return { kind: 'unknown' };
    // Start-of-frame markers (C0–CF except DHT C4, JPG C8, DAC CC): precision(1) height(2) width(2).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > b.length) break;
      return { kind: 'jpeg', width: be16(b, i + 7), height: be16(b, i + 5) };
    }
    i += 2 + len;
  }
  return { kind: 'unknown' };
}

function webpSize(b: Uint8Array): Sniffed {
  if (b.length < 30) return { kind: 'unknown' };
  if (startsWith(b, ascii('VP8 '), 12) && startsWith(b, [0x9d, 0x01, 0x2a], 23)) {
    return { kind: 'webp', width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff };
  }
  if (startsWith(b, ascii('VP8L'), 12) && b[20] === 0x2f) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { kind: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (startsWith(b, ascii('VP8X'), 12)) return { kind: 'webp', width: le24(b, 24) + 1, height: le24(b, 27) + 1 };
  return { kind: 'unknown' };
}

const latin1 = (b: Uint8Array) => {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};

/** Page objects (`/Type /Page`, not `/Pages`), or the largest page tree `/Count` when they sit in compressed object streams. */
function pdfPages(b: Uint8Array): number {
  const text = latin1(b);
  const objects = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  let count = 0;
  for (const m of text.matchAll(/\/Type\s*\/Pages\b[^>]*?\/Count\s+(\d+)|\/Count\s+(\d+)[^>]*?\/Type\s*\/Pages\b/g)) {
    count = Math.max(count, Number(m[1] ?? m[2]));
  }
  return Math.max(objects, count);
}

/** A zip's entry names are stored as they are in its local and central headers. */
function zipKind(b: Uint8Array): SniffedKind {
  if (indexOf(b, ascii('[Content_Types].xml')) < 0) return 'zip';
  if (indexOf(b, ascii('word/')) >= 0) return 'docx';
  if (indexOf(b, ascii('xl/')) >= 0) return 'xlsx';
  return 'zip';
}

const utf16 = (s: string) => [...s].flatMap((c) => [c.charCodeAt(0), 0]);

/** An OLE compound file's directory names its streams in UTF-16LE: Word's `WordDocument`, Excel's `Workbook`/`Book`. */
function oleKind(b: Uint8Array): SniffedKind {
  if (indexOf(b, utf16('WordDocument')) >= 0) return 'doc';
  if (indexOf(b, utf16('Workbook')) >= 0 || indexOf(b, utf16('Book')) >= 0) return 'xls';
  return 'ole';
}

/** Valid UTF-8 (a BOM allowed) with no NUL: what Converse reads as csv/html/txt/md. */
export function isText(b: Uint8Array): boolean {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** What `bytes` are, by their content alone. */
export function sniff(bytes: Uint8Array): Sniffed {
  const b = bytes;
  if (startsWith(b, PNG)) return pngSize(b);
  if (startsWith(b, [0xff, 0xd8, 0xff])) return jpegSize(b);
  if ((startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))) && b.length >= 10) {
    return { kind: 'gif', width: le16(b, 6), height: le16(b, 8) };
  }
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)) return webpSize(b);
  if (startsWith(b, ascii('%PDF-'))) return { kind: 'pdf', pages: pdfPages(b) };
  if (startsWith(b, ZIP)) return { kind: zipKind(b) };
  if (startsWith(b, OLE)) return { kind: oleKind(b) };
  const text = isText(b);
  // A text file may start with "MZ"; a real executable never decodes as NUL-free UTF-8.
  if (!text && EXECUTABLES.some((sig) => startsWith(b, sig))) return { kind: 'executable' };
  return { kind: text && b.length > 0 ? 'text' : 'unknown' };
}

export type Verified = { ok: VerifiedContent } | { error: AttachmentProblem };

/** The sniffed kind each declared type needs. */
const EXPECTED: Record<AttachmentType, SniffedKind> = {
  ...IMAGE_TYPES,
  ...(Object.fromEntries(Object.entries(DOCUMENT_TYPES).map(([t, f]) => [t, ['csv', 'html', 'txt', 'md'].includes(f) ? 'text' : f])) as Record<keyof typeof DOCUMENT_TYPES, SniffedKind>),
};

const DESCRIBED: Record<SniffedKind, string> = {
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  gif: 'a GIF image',
  webp: 'a WebP image',
  pdf: 'a PDF document',
  docx: 'a Word (docx) document',
  xlsx: 'an Excel (xlsx) workbook',
  doc: 'a Word (doc) document',
  xls: 'an Excel (xls) workbook',
  zip: 'a zip archive',
  ole: 'an Office compound file of another kind',
  text: 'text',
  executable: 'an executable program',
  unknown: 'not a format that can be attached',
};

/**
 * Checks uploaded `bytes` against what the client declared: the exact size, the type from the
 * content, and the image pixel limit. The error says what was found.
 */
export function verifyContent(declaredType: AttachmentType, declaredSize: number, bytes: Uint8Array): Verified {
  if (bytes.length > maxBytesFor(declaredType)) return { error: ATTACHMENT_ERRORS.tooLarge(declaredType) };
  if (bytes.length !== declaredSize) return { error: ATTACHMENT_ERRORS.sizeMismatch(declaredSize, bytes.length) };
  const found = sniff(bytes);
  if (found.kind !== EXPECTED[declaredType]) return { error: ATTACHMENT_ERRORS.content(declaredType, DESCRIBED[found.kind]) };
  if (isImageType(declaredType)) {
    const { width = 0, height = 0 } = found;
    if (width < 1 || height < 1) return { error: ATTACHMENT_ERRORS.content(declaredType, 'an image without a readable size') };
    if (width > MAX_IMAGE_SIDE_PX || height > MAX_IMAGE_SIDE_PX) return { error: ATTACHMENT_ERRORS.pixels(width, height) };
    return { ok: { width, height } };
  }
  return { ok: found.kind === 'pdf' ? { pages: found.pages } : {} };
}
