/**
 * Attachments (docs/PROTOCOL.md §15): upload slots, verification of the uploaded bytes, metadata
 * and thumbnails over HTTP, and for the chat handler the owner's ready attachments of a message.
 * The user comes only from the verified token and is part of every key: another user's
 * attachment id is as missing as an unknown one (404).
 */
import {
  ATTACHMENT_ERRORS, AttachmentInfo, attachmentKey, AttachmentProblem, attachmentKind, checkCreateAttachment, converseDocumentName,
  CreateAttachmentResponse, DOCUMENT_TYPES, IMAGE_TYPES, isImageType,
  DOWNLOAD_URL_SECONDS, MAX_ATTACHMENTS_PER_MESSAGE, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGES_PER_MESSAGE, MAX_UPLOAD_BYTES_PER_DAY,
  MAX_UPLOADS_PER_DAY, maxBytesFor, PENDING_UPLOAD_EXPIRY_DAYS, UPLOAD_URL_SECONDS,
} from '../contract/attachments';
import { isId } from '../contract/protocol';
import { realClock } from './adapters/clock';
import { verifyContent } from './domain/attachments';
import { iso, newId } from './domain/ids';
import { AttachmentRecord, AttachmentRecords, ObjectStore, ObjectTooLargeError } from './ports/attachments';
import type { Clock } from './ports/clock';
import type { TurnAttachment } from './ports/model';

/** An HTTP answer of the attachment routes. */
export interface AttachmentResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An attachment the chat handler gives the model: its record and its verified bytes. */
export interface LoadedAttachment {
  record: Pick<AttachmentRecord, 'attachmentId' | 'name' | 'contentType'>;
  bytes: Uint8Array;
}

/** What the model is given of a file: an image block, or a document block named for Converse. */
export function turnAttachment({ record, bytes }: LoadedAttachment): TurnAttachment {
  const t = record.contentType;
  if (isImageType(t)) return { kind: 'image', format: IMAGE_TYPES[t], bytes };
  return { kind: 'document', format: DOCUMENT_TYPES[t], name: converseDocumentName(record.name), bytes };
}

/** A message's attachments as checked, or why they are refused. */
export type CheckedAttachments = { records: AttachmentRecord[] } | { error: AttachmentProblem };

const DAY_S = 86_400;

const problem = (p: AttachmentProblem): AttachmentResponse => ({ statusCode: p.status, body: { code: p.code, message: p.message } });

/** The metadata a client sees. */
export function attachmentInfo(r: AttachmentRecord): AttachmentInfo {
  const { messageId: _m, ...info } = r;
  return info;
}

/** The per-user daily bound (config: ATTACHMENTS_MAX_UPLOADS_PER_DAY / _BYTES_PER_DAY). */
export interface DailyBound {
  readonly maxUploadsPerDay: number;
  readonly maxUploadBytesPerDay: number;
}

export class AttachmentService {
  constructor(
    private readonly records: AttachmentRecords,
    private readonly objects: ObjectStore,
    private readonly bound: DailyBound = { maxUploadsPerDay: MAX_UPLOADS_PER_DAY, maxUploadBytesPerDay: MAX_UPLOAD_BYTES_PER_DAY },
    private readonly clock: Clock = realClock,
    private readonly makeId: () => string = newId,
  ) {}

  /** `POST /attachments`: a pending record, the day's bound taken, and a presigned PUT. */
  public async create(user: string, body: string | undefined): Promise<AttachmentResponse> {
    let parsed: unknown;
    try { parsed = JSON.parse(body ?? ''); } catch { parsed = undefined; }
    const checked = checkCreateAttachment(parsed);
    if ('error' in checked) return problem(checked.error);
    const { name, contentType, size } = checked.ok;
    const now = this.clock.now();
    const { maxUploadsPerDay, maxUploadBytesPerDay } = this.bound;
    if ((await this.records.takeDaily(user, size, now, maxUploadsPerDay, maxUploadBytesPerDay)) !== 'taken') return problem(ATTACHMENT_ERRORS.daily(maxUploadsPerDay, maxUploadBytesPerDay));
    const attachmentId = this.makeId();
    const record: AttachmentRecord = { attachmentId, name, contentType, size, status: 'pending', createdAt: iso(now) };
    // The record lives as long as the lifecycle rule keeps an unused object (plus an hour).
    await this.records.create(user, record, Math.floor(now / 1000) + PENDING_UPLOAD_EXPIRY_DAYS * DAY_S + 3600);
    const upload = await this.objects.presignPut(attachmentKey(user, attachmentId), contentType, size, UPLOAD_URL_SECONDS);
    const answer: CreateAttachmentResponse = { attachmentId, upload: { method: 'PUT', ...upload }, expiresAt: iso(now + UPLOAD_URL_SECONDS * 1000) };
    return { statusCode: 201, body: answer };
  }

  /**
   * `POST /attachments/{id}/complete`: reads the object back and checks its bytes. Refused bytes
   * are deleted with their record, so nothing of a refused file stays.
   */
  public async complete(user: string, attachmentId: string): Promise<AttachmentResponse> {
    const r = await this.find(user, attachmentId);
    if (!r) return problem(ATTACHMENT_ERRORS.notFound());
    if (r.status === 'ready') return { statusCode: 200, body: attachmentInfo(r) };
    const key = attachmentKey(user, attachmentId);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.objects.read(key, maxBytesFor(r.contentType));
    } catch (err) {
      if (!(err instanceof ObjectTooLargeError)) throw err;
      await this.discard(user, attachmentId);
      return problem(ATTACHMENT_ERRORS.tooLarge(r.contentType));
    }
    if (!bytes) return problem(ATTACHMENT_ERRORS.notUploaded());
    const verified = verifyContent(r.contentType, r.size, bytes);
    if ('error' in verified) {
      await this.discard(user, attachmentId);
      return problem(verified.error);
    }
    const ready = await this.records.markReady(user, attachmentId, verified.ok);
    const now = await this.records.get(user, attachmentId);
    if (!ready && now?.status !== 'ready') return problem(ATTACHMENT_ERRORS.notFound());
    return { statusCode: 200, body: attachmentInfo(ready ?? now!) };
  }

  /** `GET /attachments/{id}`. */
  public async info(user: string, attachmentId: string): Promise<AttachmentResponse> {
    const r = await this.find(user, attachmentId);
    return r ? { statusCode: 200, body: attachmentInfo(r) } : problem(ATTACHMENT_ERRORS.notFound());
  }

  /**
   * `GET /attachments/{id}/content`: a redirect to a short-lived presigned GET of a verified file;
   * `redirect: false` (`?redirect=false`) answers `200 {url}` instead, for a script's fetch, which
   * would otherwise follow the redirect to the bucket.
   */
  public async content(user: string, attachmentId: string, redirect = true): Promise<AttachmentResponse> {
    const r = await this.find(user, attachmentId);
    if (!r || r.status !== 'ready') return problem(ATTACHMENT_ERRORS.notFound());
    const url = await this.objects.presignGet(attachmentKey(user, attachmentId), r.contentType, DOWNLOAD_URL_SECONDS, r.name);
    return redirect ? { statusCode: 302, headers: { location: url }, body: { url } } : { statusCode: 200, body: { url } };
  }

  /**
   * The checks of a message's `attachmentIds` without reading bytes: every id the user's own and
   * ready, not used by another conversation, within the per-message counts. A file already used in
   * conversation `conversationId` may be used again there (an edit is a new version of its message,
   * PROTOCOL §13, and keeps its files); `conversationId` undefined is a new conversation, which
   * only unused files may join. (A resend of a message finds its files in its own conversation.)
   */
  public async check(user: string, attachmentIds: readonly string[], conversationId?: string): Promise<CheckedAttachments> {
    const unique = [...new Set(attachmentIds)];
    if (unique.length !== attachmentIds.length || unique.length > MAX_ATTACHMENTS_PER_MESSAGE) return { error: ATTACHMENT_ERRORS.count() };
    if (!unique.every(isId)) return { error: ATTACHMENT_ERRORS.notFound() };
    const found = await this.records.getMany(user, unique);
    const byId = new Map(found.map((r) => [r.attachmentId, r]));
    const records: AttachmentRecord[] = [];
    for (const id of unique) {
      const r = byId.get(id);
      if (!r || (r.conversationId !== undefined && r.conversationId !== conversationId)) return { error: ATTACHMENT_ERRORS.notFound() };
      if (r.status !== 'ready') return { error: ATTACHMENT_ERRORS.notUploaded() };
      records.push(r);
    }
    const images = records.filter((r) => attachmentKind(r.contentType) === 'image').length;
    if (images > MAX_IMAGES_PER_MESSAGE || records.length - images > MAX_DOCUMENTS_PER_MESSAGE) return { error: ATTACHMENT_ERRORS.count() };
    return { records };
  }

  /**
   * Binds checked attachments to a stored user message: they are kept, and deleted with its
   * conversation. A file of another message of the same conversation stays that conversation's.
   */
  public async use(user: string, records: readonly AttachmentRecord[], conversationId: string, messageId: string): Promise<boolean> {
    const ids = records.map((r) => r.attachmentId);
    if (!(await this.records.use(user, ids, conversationId, messageId))) return false;
    for (const id of ids) await this.objects.keep(attachmentKey(user, id));
    return true;
  }

  /** The bytes of attachments for the model (read again, checked again: the bucket is the truth). */
  public async load(user: string, records: ReadonlyArray<LoadedAttachment['record']>): Promise<LoadedAttachment[]> {
    return Promise.all(records.map(async (record) => {
      const bytes = await this.objects.read(attachmentKey(user, record.attachmentId), maxBytesFor(record.contentType));
      if (!bytes) throw new Error(`attachment ${record.attachmentId} has no object`);
      return { record, bytes };
    }));
  }

  /** Deletes the objects and records of every attachment a conversation used. */
  public async deleteForConversation(user: string, conversationId: string): Promise<void> {
    const ids = await this.records.listForConversation(user, conversationId);
    if (ids.length === 0) return;
    await this.objects.delete(ids.map((id) => attachmentKey(user, id)));
    await this.records.delete(user, ids, conversationId);
  }

  private async find(user: string, attachmentId: string): Promise<AttachmentRecord | undefined> {
    return isId(attachmentId) ? this.records.get(user, attachmentId) : undefined;
  }

  private async discard(user: string, attachmentId: string): Promise<void> {
    await this.objects.delete([attachmentKey(user, attachmentId)]);
    await this.records.delete(user, [attachmentId]);
  }
}
