/**
 * The ports of attachments (docs/PROTOCOL.md §15): their records in the table and their bytes in
 * the object store. The user is a parameter of every call and part of every key.
 */
import type { AttachmentInfo, AttachmentType } from '../../contract/attachments';

/** An attachment as stored. */
export interface AttachmentRecord extends AttachmentInfo {
  contentType: AttachmentType;
  /**
   * The first message that used it (with {@link AttachmentInfo.conversationId}); other messages of
   * that conversation (an edit's new versions) may use it too, and their stored messages list it.
   */
  messageId?: string;
}

export type DailyUploadResult = 'taken' | 'refused';

export interface AttachmentRecords {
  /** Writes a new pending attachment (conditional on its id being new). */
  create(user: string, record: AttachmentRecord, expiresAtSeconds: number): Promise<void>;
  get(user: string, attachmentId: string): Promise<AttachmentRecord | undefined>;
  /** Many at once, in no particular order; missing ones are left out. */
  getMany(user: string, attachmentIds: readonly string[]): Promise<AttachmentRecord[]>;
  /** Marks a pending attachment ready with what its bytes showed; false when it is gone or not pending. */
  markReady(user: string, attachmentId: string, found: Pick<AttachmentInfo, 'width' | 'height' | 'pages'>): Promise<AttachmentRecord | undefined>;
  /**
   * Binds ready attachments to a message: keeps them (no expiry), records the conversation (and
   * the first message), and lists them under the conversation for its delete. False for one that is
   * not ready or already used in another conversation.
   */
  use(user: string, attachmentIds: readonly string[], conversationId: string, messageId: string): Promise<boolean>;
  /** The attachments a conversation's messages used. */
  listForConversation(user: string, conversationId: string): Promise<string[]>;
  /** Deletes the records (and their conversation links). */
  delete(user: string, attachmentIds: readonly string[], conversationId?: string): Promise<void>;
  /** Takes one upload and `bytes` from the user's daily bound. */
  takeDaily(user: string, bytes: number, now: number, maxUploads: number, maxBytes: number): Promise<DailyUploadResult>;
}

/** A presigned request the browser makes itself. */
export interface PresignedRequest {
  url: string;
  headers: Record<string, string>;
}

export interface ObjectStore {
  /** A PUT of exactly `size` bytes of `contentType`, tagged pending, valid `seconds`. */
  presignPut(key: string, contentType: string, size: number, seconds: number): Promise<PresignedRequest>;
  /**
   * A GET of the object, valid `seconds`: an image answered with `contentType` inline, a document
   * as a download (`application/octet-stream`, `attachment`, saved as `fileName` when given).
   */
  presignGet(key: string, contentType: string, seconds: number, fileName?: string): Promise<string>;
  /** The object's bytes, undefined when there is none; throws when it is larger than `maxBytes`. */
  read(key: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Takes the pending tag off, so the lifecycle rule keeps the object. */
  keep(key: string): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
}

/** Thrown by {@link ObjectStore.read} for an object over the limit (nothing more is read). */
export class ObjectTooLargeError extends Error {
  constructor(public readonly size: number) { super(`object of ${size} bytes`); }
}
