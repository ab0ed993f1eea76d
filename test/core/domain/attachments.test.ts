import {
  checkCreateAttachment, converseDocumentName, imageTokens, isConverseDocumentName, isValidAttachmentName, MAX_ATTACHMENT_NAME_CHARS,
  MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE_PX,
} from '../../../src/contract/attachments';
import { sniff, verifyContent } from '../../../src/core/domain/attachments';
import { docx, elf, exe, gif, jpeg, ole, pdf, png, pngOfSize, webp, xlsx, zip } from '../../support/files';

describe('sniff: the format and size from the bytes', () => {
  test.each([
    ['png', png(3, 5), { kind: 'png', width: 3, height: 5 }],
    ['jpeg', jpeg(640, 480), { kind: 'jpeg', width: 640, height: 480 }],
    ['gif', gif(17, 9), { kind: 'gif', width: 17, height: 9 }],
    ['webp VP8', webp(300, 200), { kind: 'webp', width: 300, height: 200 }],
    ['webp VP8L', webp(8000, 1), { kind: 'webp', width: 8000, height: 1 }],
    ['webp VP8X', webp(4097, 8001, 'VP8X'), { kind: 'webp', width: 4097, height: 8001 }],
    ['pdf', pdf(3), { kind: 'pdf', pages: 3 }],
    ['docx', docx(), { kind: 'docx' }],
    ['xlsx', xlsx(), { kind: 'xlsx' }],
    ['plain zip', zip(['a.txt']), { kind: 'zip' }],
    ['doc', ole('WordDocument'), { kind: 'doc' }],
    ['xls', ole('Workbook'), { kind: 'xls' }],
    ['Korean text', Buffer.from('안녕하세요,세계\n1,2\n'), { kind: 'text' }],
    ['PE executable', exe(), { kind: 'executable' }],
    ['ELF executable', elf(), { kind: 'executable' }],
    ['text that starts with MZ', Buffer.from('MZ is a text file'), { kind: 'text' }],
    ['invalid UTF-8', Buffer.from([0x41, 0xc3, 0x28]), { kind: 'unknown' }],
    ['empty', Buffer.alloc(0), { kind: 'unknown' }],
  ])('%s', (_, bytes, want) => {
    expect(sniff(bytes)).toEqual(want);
  });

  test('a JPEG whose frame header follows a large EXIF segment', () => {
    const j = jpeg(10, 20);
    const exif = Buffer.concat([Buffer.from([0xff, 0xe1, 0xff, 0xf0]), Buffer.alloc(0xffee, 0x20)]);
    expect(sniff(Buffer.concat([j.subarray(0, 2), exif, j.subarray(2)]))).toEqual({ kind: 'jpeg', width: 10, height: 20 });
  });

  test('a PDF whose pages are in compressed object streams counts its page tree', () => {
    expect(sniff(Buffer.from('%PDF-1.7\n1 0 obj << /Type /Pages /Count 12 /Kids [] >> endobj\n', 'latin1')).pages).toBe(12);
  });
});

describe('verifyContent: declared type and size against the bytes', () => {
  test('each format is accepted under its own type', () => {
    expect(verifyContent('image/png', png(2, 2).length, png(2, 2))).toEqual({ ok: { width: 2, height: 2 } });
    expect(verifyContent('image/jpeg', jpeg(5, 6).length, jpeg(5, 6))).toEqual({ ok: { width: 5, height: 6 } });
    expect(verifyContent('image/gif', 14, gif(1, 1))).toEqual({ ok: { width: 1, height: 1 } });
    expect(verifyContent('image/webp', webp(4, 4).length, webp(4, 4))).toEqual({ ok: { width: 4, height: 4 } });
    expect(verifyContent('application/pdf', pdf(2).length, pdf(2))).toEqual({ ok: { pages: 2 } });
    const d = docx();
    expect(verifyContent('application/vnd.openxmlformats-officedocument.wordprocessingml.document', d.length, d)).toEqual({ ok: {} });
    const x = xlsx();
    expect(verifyContent('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', x.length, x)).toEqual({ ok: {} });
    expect(verifyContent('application/msword', 640, ole('WordDocument'))).toEqual({ ok: {} });
    expect(verifyContent('application/vnd.ms-excel', 640, ole('Workbook'))).toEqual({ ok: {} });
    for (const t of ['text/csv', 'text/html', 'text/plain', 'text/markdown'] as const) {
      expect(verifyContent(t, 8, Buffer.from('# 제목'))).toEqual({ ok: {} });
    }
  });

  test('a renamed executable is refused whatever it claims to be', () => {
    for (const t of ['image/png', 'application/pdf', 'text/plain'] as const) {
      const r = verifyContent(t, 256, exe());
      expect(r).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('an executable program') }) });
    }
    expect(verifyContent('image/png', 64, elf())).toEqual({ error: expect.objectContaining({ message: expect.stringContaining('executable') }) });
  });

  test('a format named as another is refused and says what it is', () => {
    expect(verifyContent('image/png', jpeg(1, 1).length, jpeg(1, 1))).toEqual({
      error: { status: 400, code: 'BAD_REQUEST', message: 'The file\'s content is a JPEG image, not the declared image/png.' },
    });
    const d = docx();
    expect(verifyContent('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', d.length, d))
      .toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(verifyContent('application/msword', 640, ole('Workbook'))).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(verifyContent('text/plain', 3, Buffer.from([0x41, 0, 0x42]))).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
  });

  test('the uploaded size must be the declared size', () => {
    const p = png(2, 2);
    expect(verifyContent('image/png', p.length + 1, p)).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining(`has ${p.length} bytes`) }) });
  });

  test(`image bytes: ${MAX_IMAGE_BYTES} accepted, one more refused`, () => {
    const at = pngOfSize(MAX_IMAGE_BYTES);
    expect(at.length).toBe(MAX_IMAGE_BYTES);
    expect(verifyContent('image/png', at.length, at)).toEqual({ ok: { width: 2, height: 2 } });
    const over = pngOfSize(MAX_IMAGE_BYTES + 1);
    expect(verifyContent('image/png', over.length, over)).toEqual({ error: expect.objectContaining({ status: 413, code: 'TOO_LARGE' }) });
  });

  test(`document bytes: ${MAX_DOCUMENT_BYTES} accepted, one more refused`, () => {
    const text = (n: number) => Buffer.alloc(n, 0x61);
    expect(verifyContent('text/plain', MAX_DOCUMENT_BYTES, text(MAX_DOCUMENT_BYTES))).toEqual({ ok: {} });
    expect(verifyContent('text/plain', MAX_DOCUMENT_BYTES + 1, text(MAX_DOCUMENT_BYTES + 1))).toEqual({ error: expect.objectContaining({ code: 'TOO_LARGE' }) });
  });

  test(`pixels: ${MAX_IMAGE_SIDE_PX} px a side accepted, one more refused, either side`, () => {
    const check = (b: Buffer) => verifyContent('image/png', b.length, b);
    expect(check(png(MAX_IMAGE_SIDE_PX, 1))).toEqual({ ok: { width: 8000, height: 1 } });
    expect(check(png(1, MAX_IMAGE_SIDE_PX))).toEqual({ ok: { width: 1, height: 8000 } });
    expect(check(png(MAX_IMAGE_SIDE_PX + 1, 1))).toEqual({ error: { status: 413, code: 'TOO_LARGE', message: 'An image may be at most 8000 px a side; this one is 8001×1.' } });
    expect(check(png(1, MAX_IMAGE_SIDE_PX + 1))).toEqual({ error: expect.objectContaining({ code: 'TOO_LARGE' }) });
    const w = webp(8000, 8001, 'VP8X');
    expect(verifyContent('image/webp', w.length, w)).toEqual({ error: expect.objectContaining({ code: 'TOO_LARGE' }) });
    expect(verifyContent('image/png', png(0, 5).length, png(0, 5))).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
  });
});

describe('names and the create request', () => {
  test(`display names: 1–${MAX_ATTACHMENT_NAME_CHARS} characters (Hangul counts one each)`, () => {
    expect(isValidAttachmentName('가'.repeat(MAX_ATTACHMENT_NAME_CHARS))).toBe(true);
    expect(isValidAttachmentName('가'.repeat(MAX_ATTACHMENT_NAME_CHARS + 1))).toBe(false);
    expect(isValidAttachmentName('')).toBe(false);
    expect(isValidAttachmentName('...')).toBe(false);
    expect(isValidAttachmentName('a\u0000.png')).toBe(false);
    expect(isValidAttachmentName('evil\u202egnp.exe')).toBe(false);
    expect(isValidAttachmentName(' a.png')).toBe(false);
  });

  test('Converse document names: the rule, and the name made from a display name', () => {
    expect(isConverseDocumentName('Report (v2) [final]-x')).toBe(true);
    expect(isConverseDocumentName('a  b')).toBe(false);
    expect(isConverseDocumentName('a_b')).toBe(false);
    expect(isConverseDocumentName('a'.repeat(200))).toBe(true);
    expect(isConverseDocumentName('a'.repeat(201))).toBe(false);
    expect(converseDocumentName('보고서_2024.final.pdf')).toBe('보고서 2024 final pdf');
    expect(converseDocumentName('___.pdf')).toBe('pdf');
    expect(converseDocumentName('!!!')).toBe('document');
    for (const n of ['a\t\tb.txt', 'x'.repeat(300), '(a)  [b] - c.md', '가'.repeat(250)]) expect(isConverseDocumentName(converseDocumentName(n))).toBe(true);
  });

  test('image tokens are width × height / 750, rounded up', () => {
    expect(imageTokens(1000, 1000)).toBe(1334);
    expect(imageTokens(750, 1)).toBe(1);
    expect(imageTokens(751, 1)).toBe(2);
  });

  test('the create request: declared size at and over each limit, types and names', () => {
    expect(checkCreateAttachment({ name: 'a.png', contentType: 'image/png', size: MAX_IMAGE_BYTES })).toEqual({ ok: { name: 'a.png', contentType: 'image/png', size: MAX_IMAGE_BYTES } });
    expect(checkCreateAttachment({ name: 'a.png', contentType: 'image/png', size: MAX_IMAGE_BYTES + 1 })).toEqual({ error: expect.objectContaining({ status: 413, code: 'TOO_LARGE' }) });
    expect(checkCreateAttachment({ name: 'a.pdf', contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES })).toHaveProperty('ok');
    expect(checkCreateAttachment({ name: 'a.pdf', contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES + 1 })).toEqual({ error: expect.objectContaining({ code: 'TOO_LARGE' }) });
    expect(checkCreateAttachment({ name: 'a.svg', contentType: 'image/svg+xml', size: 10 })).toEqual({ error: expect.objectContaining({ status: 400, code: 'BAD_REQUEST', message: expect.stringContaining('image/svg+xml') }) });
    expect(checkCreateAttachment({ name: 'a.png', contentType: 'IMAGE/PNG; x=1', size: 1 })).toHaveProperty('ok.contentType', 'image/png');
    for (const size of [0, -1, 1.5, '10', undefined]) expect(checkCreateAttachment({ name: 'a.png', contentType: 'image/png', size })).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(checkCreateAttachment(null)).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(checkCreateAttachment({ name: '', contentType: 'image/png', size: 1 })).toEqual({ error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
  });
});
