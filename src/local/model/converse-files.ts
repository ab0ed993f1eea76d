/**
 * The `image` and `document` blocks of a Converse request, decoded and checked as Bedrock checks
 * them (API reference, `Message.content`, `ImageBlock`, `DocumentBlock`): only in user messages,
 * at most 20 images of 3.75 MB and 8000 px a side and 5 documents of 4.5 MB a message, a document
 * beside a text block, its name of letters, digits, single spaces, hyphens, parentheses and
 * brackets. Anything else is the `validationException` Bedrock answers.
 */
import { BrainError, ConverseFile } from './brain';
import {
  DOCUMENT_TYPES, imageTokens, IMAGE_TYPES, isConverseDocumentName, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE_PX,
  MAX_IMAGES_PER_MESSAGE,
} from '../../contract/attachments';
import { sniff } from '../../core/domain/attachments';

const IMAGE_FORMATS = new Set<string>(Object.values(IMAGE_TYPES));
const DOCUMENT_FORMATS = new Set<string>(Object.values(DOCUMENT_TYPES));
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const invalid = (message: string) => new BrainError('validationException', message);

function bytesOf(source: any, what: string): Uint8Array {
  const b64 = source?.bytes;
  if (typeof b64 !== 'string' || b64.length % 4 !== 0 || !BASE64.test(b64)) throw invalid(`${what}.source.bytes must be base64 bytes (this endpoint has no s3Location).`);
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** The files of one message's content blocks, in order. */
export function converseFiles(role: unknown, content: readonly any[]): ConverseFile[] {
  const files: ConverseFile[] = [];
  for (const block of content) {
    if (block?.image !== undefined) {
      const format = String(block.image?.format);
      if (!IMAGE_FORMATS.has(format)) throw invalid(`image.format must be one of ${[...IMAGE_FORMATS].join(', ')}.`);
      const bytes = bytesOf(block.image.source, 'image');
      if (bytes.length > MAX_IMAGE_BYTES) throw invalid(`image exceeds ${MAX_IMAGE_BYTES} bytes.`);
      const { width = 0, height = 0 } = sniff(bytes);
      if (width > MAX_IMAGE_SIDE_PX || height > MAX_IMAGE_SIDE_PX) throw invalid(`image dimensions exceed ${MAX_IMAGE_SIDE_PX} px.`);
      files.push({ kind: 'image', format, bytes });
    } else if (block?.document !== undefined) {
      const format = String(block.document?.format);
      if (!DOCUMENT_FORMATS.has(format)) throw invalid(`document.format must be one of ${[...DOCUMENT_FORMATS].join(', ')}.`);
      const name = block.document?.name;
      if (typeof name !== 'string' || !isConverseDocumentName(name)) {
        throw invalid('document.name may contain only alphanumeric characters, whitespace (no more than one in a row), hyphens, parentheses and square brackets.');
      }
      const bytes = bytesOf(block.document.source, 'document');
      if (bytes.length > MAX_DOCUMENT_BYTES) throw invalid(`document exceeds ${MAX_DOCUMENT_BYTES} bytes.`);
      files.push({ kind: 'document', format, name, bytes });
    }
  }
  if (files.length === 0) return files;
  if (role !== 'user') throw invalid('Images and documents may only be included in user messages.');
  const images = files.filter((f) => f.kind === 'image').length;
  if (images > MAX_IMAGES_PER_MESSAGE) throw invalid(`A message may include at most ${MAX_IMAGES_PER_MESSAGE} images.`);
  if (files.length - images > MAX_DOCUMENTS_PER_MESSAGE) throw invalid(`A message may include at most ${MAX_DOCUMENTS_PER_MESSAGE} documents.`);
  if (files.length > images && !content.some((b) => typeof b?.text === 'string')) throw invalid('A message with a document must also include a text block.');
  return files;
}

/**
 * Input tokens of files, estimated: an image by its pixels (Bedrock's estimate for Anthropic
 * models), a document by its bytes (a text's four characters a token; a PDF is counted the same).
 */
export function filesTokens(files: readonly ConverseFile[]): number {
  return files.reduce((n, f) => {
    if (f.kind === 'document') return n + Math.ceil(f.bytes.length / 4);
    const { width = 0, height = 0 } = sniff(f.bytes);
    return n + imageTokens(width, height);
  }, 0);
}
