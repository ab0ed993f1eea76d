/**
 * The attachments contract (docs/PROTOCOL.md §15): which files a message may carry, the limits the
 * server enforces (Bedrock Converse's own, plus a per-user bound of ours), the HTTP shapes of the
 * upload slot API and the error messages. Pure constants and checks, no imports, so the browser
 * bundle, the handlers, the local stack and the construct all use the same numbers.
 */

/** Converse `ImageBlock.format` values, by the MIME type the client declares. */
export const IMAGE_TYPES = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
} as const;

/** Converse `DocumentBlock.format` values, by the MIME type the client declares. */
export const DOCUMENT_TYPES = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
} as const;

export type ImageType = keyof typeof IMAGE_TYPES;
export type DocumentType = keyof typeof DOCUMENT_TYPES;
export type AttachmentType = ImageType | DocumentType;
export type ImageFormat = (typeof IMAGE_TYPES)[ImageType];
export type DocumentFormat = (typeof DOCUMENT_TYPES)[DocumentType];
export type AttachmentKind = 'image' | 'document';

/**
 * Converse's limits (Bedrock API reference, `Message.content`): each image at most 3.75 MB and
 * 8000 px a side, at most 20 images a message; each document at most 4.5 MB, at most 5 a message.
 * "MB" is read as 10^6 bytes, the smaller reading, so nothing we accept is refused by Bedrock.
 */
export const MAX_IMAGE_BYTES = 3_750_000;
export const MAX_IMAGE_SIDE_PX = 8000;
export const MAX_IMAGES_PER_MESSAGE = 20;
export const MAX_DOCUMENT_BYTES = 4_500_000;
export const MAX_DOCUMENTS_PER_MESSAGE = 5;
/** Every attachment of one message (images and documents) together. */
export const MAX_ATTACHMENTS_PER_MESSAGE = MAX_IMAGES_PER_MESSAGE + MAX_DOCUMENTS_PER_MESSAGE;

/** Our bound (not Bedrock's): a file's display name, in characters. Converse's document name is derived from it. */
export const MAX_ATTACHMENT_NAME_CHARS = 200;

/**
 * Our per-user bound (not Bedrock's): upload slots and declared bytes per user and UTC day. It caps
 * how fast one account can fill the bucket (unused uploads expire after
 * {@link PENDING_UPLOAD_EXPIRY_DAYS}); every slot counts, used or not.
 */
export const MAX_UPLOADS_PER_DAY = 200;
export const MAX_UPLOAD_BYTES_PER_DAY = 200_000_000;
/** A presigned upload URL is valid this long. */
export const UPLOAD_URL_SECONDS = 300;
/** A presigned thumbnail/download URL is valid this long. */
export const DOWNLOAD_URL_SECONDS = 300;
/** Objects uploaded but never attached to a message are deleted by the bucket's lifecycle rule after this many days. */
export const PENDING_UPLOAD_EXPIRY_DAYS = 1;
/** The object tag an upload carries until a message uses it (the lifecycle rule's filter). */
export const PENDING_TAG = { key: 'chatbot-attachment', value: 'pending' } as const;

/** The object key of an attachment: the owner is part of it, and grants are on `u/*`. */
export const ATTACHMENT_KEY_PREFIX = 'u/';
export const attachmentKey = (user: string, attachmentId: string) => `${ATTACHMENT_KEY_PREFIX}${user}/${attachmentId}`;

export type AttachmentStatus = 'pending' | 'ready';

/** `POST /api/attachments` body. */
export interface CreateAttachmentRequest {
  name: string;
  contentType: string;
  size: number;
}

/** How the browser uploads the bytes: a PUT to `url` with exactly these headers. */
export interface UploadTarget {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
}

/** `201` answer of `POST /api/attachments`. */
export interface CreateAttachmentResponse {
  attachmentId: string;
  upload: UploadTarget;
  expiresAt: string;
}

/** An attachment's metadata (GET /api/attachments/{id}, and `MessageItem.attachments`). */
export interface AttachmentInfo {
  attachmentId: string;
  name: string;
  contentType: AttachmentType;
  size: number;
  status: AttachmentStatus;
  width?: number;
  height?: number;
  pages?: number;
  conversationId?: string;
  createdAt: string;
}

export function isImageType(t: string): t is ImageType {
  return Object.prototype.hasOwnProperty.call(IMAGE_TYPES, t);
}

export function isDocumentType(t: string): t is DocumentType {
  return Object.prototype.hasOwnProperty.call(DOCUMENT_TYPES, t);
}

export function attachmentKind(t: AttachmentType): AttachmentKind {
  return isImageType(t) ? 'image' : 'document';
}

export function maxBytesFor(t: AttachmentType): number {
  return isImageType(t) ? MAX_IMAGE_BYTES : MAX_DOCUMENT_BYTES;
}

/** The error of a refused attachment: the HTTP status, its code and a message the client may show. */
export interface AttachmentProblem {
  status: 400 | 404 | 413 | 429;
  code: 'BAD_REQUEST' | 'TOO_LARGE' | 'NOT_FOUND' | 'RATE_LIMITED';
  message: string;
}

const mb = (n: number) => `${(n / 1_000_000).toFixed(2).replace(/\.?0+$/, '')} MB`;

/** The precise messages (the client shows them per file, translated by `code` and `reason`). */
export const ATTACHMENT_ERRORS = {
  type: (declared: string): AttachmentProblem => ({
    status: 400,
    code: 'BAD_REQUEST',
    message: `Files of type "${declared.slice(0, 80)}" cannot be attached: images png/jpeg/gif/webp, documents pdf/csv/doc/docx/xls/xlsx/html/txt/md.`,
  }),
  name: (): AttachmentProblem => ({
    status: 400,
    code: 'BAD_REQUEST',
    message: `A file name must be 1–${MAX_ATTACHMENT_NAME_CHARS} characters with at least one letter or digit and no control characters.`,
  }),
  size: (): AttachmentProblem => ({ status: 400, code: 'BAD_REQUEST', message: 'size must be a positive whole number of bytes.' }),
  tooLarge: (t: AttachmentType): AttachmentProblem => ({
    status: 413,
    code: 'TOO_LARGE',
    message: `${isImageType(t) ? 'An image' : 'A document'} may be at most ${mb(maxBytesFor(t))} (${maxBytesFor(t)} bytes).`,
  }),
  pixels: (w: number, h: number): AttachmentProblem => ({
    status: 413, code: 'TOO_LARGE', message: `An image may be at most ${MAX_IMAGE_SIDE_PX} px a side; this one is ${w}×${h}.`,
  }),
  content: (declared: string, found: string): AttachmentProblem => ({
    status: 400, code: 'BAD_REQUEST', message: `The file's content is ${found}, not the declared ${declared}.`,
  }),
  sizeMismatch: (declared: number, found: number): AttachmentProblem => ({
    status: 400, code: 'BAD_REQUEST', message: `The upload has ${found} bytes, not the declared ${declared}.`,
  }),
  notUploaded: (): AttachmentProblem => ({ status: 400, code: 'BAD_REQUEST', message: 'The file has not been uploaded yet.' }),
  notFound: (): AttachmentProblem => ({ status: 404, code: 'NOT_FOUND', message: 'There is no such attachment.' }),
  daily: (uploads = MAX_UPLOADS_PER_DAY, bytes = MAX_UPLOAD_BYTES_PER_DAY): AttachmentProblem => ({
    status: 429,
    code: 'RATE_LIMITED',
    message: `At most ${uploads} uploads and ${mb(bytes)} a day; try again tomorrow (UTC).`,
  }),
  count: (): AttachmentProblem => ({
    status: 400,
    code: 'BAD_REQUEST',
    message: `A message may carry at most ${MAX_IMAGES_PER_MESSAGE} images and ${MAX_DOCUMENTS_PER_MESSAGE} documents.`,
  }),
  disabled: (): AttachmentProblem => ({ status: 404, code: 'NOT_FOUND', message: 'Attachments are turned off on this deployment.' }),
} as const;

/** Control characters (C0, DEL, C1) and the bidi overrides that could disguise a name. */
const BAD_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A display name the server accepts (it is shown, never used as a key). */
export function isValidAttachmentName(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  const chars = [...name].length;
  if (chars < 1 || chars > MAX_ATTACHMENT_NAME_CHARS || name.trim() !== name) return false;
  return !BAD_NAME_CHARS.test(name) && /[\p{L}\p{N}]/u.test(name);
}

/**
 * Converse's `DocumentBlock.name` rule: 1–200 characters, only alphanumerics, whitespace (never two
 * in a row), hyphens, parentheses and square brackets.
 */
export function isConverseDocumentName(name: string): boolean {
  const chars = [...name].length;
  return chars >= 1 && chars <= 200 && /^[\p{L}\p{N}\s\-()[\]]+$/u.test(name) && !/\s\s/.test(name);
}

/**
 * The Converse document name made from a display name: every other character becomes a space, runs
 * of whitespace one space, trimmed, cut to 200 characters; "document" when nothing is left.
 * (`보고서_2024.final.pdf` → `보고서 2024 final pdf`.)
 */
export function converseDocumentName(displayName: string): string {
  const cleaned = displayName.replace(/[^\p{L}\p{N}\s\-()[\]]/gu, ' ').replace(/\s+/g, ' ').trim();
  const cut = [...cleaned].slice(0, 200).join('').trim();
  return cut && /[\p{L}\p{N}]/u.test(cut) ? cut : 'document';
}

/** A file of a message, as history lists it (`MessageItem.attachments`, docs/PROTOCOL.md §15). */
export type MessageAttachment = Pick<AttachmentInfo, 'attachmentId' | 'name' | 'contentType' | 'size' | 'width' | 'height'>;

/** The {@link MessageAttachment} of an attachment's metadata. */
export function messageAttachment(a: AttachmentInfo): MessageAttachment {
  const m: MessageAttachment = { attachmentId: a.attachmentId, name: a.name, contentType: a.contentType, size: a.size };
  if (a.width !== undefined && a.height !== undefined) Object.assign(m, { width: a.width, height: a.height });
  return m;
}

/** Estimated input tokens of a message's file: an image by its pixels, a document by its bytes (four a token). */
export function attachmentTokens(a: MessageAttachment): number {
  if (attachmentKind(a.contentType) === 'image') return imageTokens(a.width ?? MAX_IMAGE_SIDE_PX, a.height ?? MAX_IMAGE_SIDE_PX);
  return Math.ceil(a.size / 4);
}

/**
 * The image token estimate Bedrock documents for Anthropic models: (width × height) / 750,
 * rounded up.
 */
export function imageTokens(width: number, height: number): number {
  return Math.ceil((width * height) / 750);
}

/** A checked create request, or why it is refused. */
export type CheckedCreate = { ok: CreateAttachmentRequest & { contentType: AttachmentType } } | { error: AttachmentProblem };

/** Checks a `POST /api/attachments` body; the declared type and size only (the bytes are checked after upload). */
export function checkCreateAttachment(body: unknown): CheckedCreate {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: { status: 400, code: 'BAD_REQUEST', message: 'The body must be JSON {"name", "contentType", "size"}.' } };
  }
  const b = body as Record<string, unknown>;
  if (!isValidAttachmentName(b.name)) return { error: ATTACHMENT_ERRORS.name() };
  const contentType = typeof b.contentType === 'string' ? b.contentType.toLowerCase().split(';')[0].trim() : '';
  if (!isImageType(contentType) && !isDocumentType(contentType)) return { error: ATTACHMENT_ERRORS.type(String(b.contentType ?? '')) };
  if (typeof b.size !== 'number' || !Number.isSafeInteger(b.size) || b.size < 1) return { error: ATTACHMENT_ERRORS.size() };
  if (b.size > maxBytesFor(contentType)) return { error: ATTACHMENT_ERRORS.tooLarge(contentType) };
  return { ok: { name: b.name, contentType, size: b.size } };
}

/** config.json `attachments` (`ClientAttachmentsConfig` in protocol.ts): the same numbers the server enforces. */
export function clientAttachmentsConfig() {
  return {
    imageTypes: Object.keys(IMAGE_TYPES),
    documentTypes: Object.keys(DOCUMENT_TYPES),
    maxImageBytes: MAX_IMAGE_BYTES,
    maxDocumentBytes: MAX_DOCUMENT_BYTES,
    maxImagesPerMessage: MAX_IMAGES_PER_MESSAGE,
    maxDocumentsPerMessage: MAX_DOCUMENTS_PER_MESSAGE,
    maxNameChars: MAX_ATTACHMENT_NAME_CHARS,
  };
}
