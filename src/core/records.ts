/**
 * The store's records as the rest of the runtime sees them, and the mapping from table items:
 * kept apart from store.ts so the queries read without the plumbing.
 */
import { cursorKeyFits } from './cursor-limits';
import { INTERRUPTED_AFTER_MS } from './limits';
import { ConversationSummary, MessageItem, MessageStatus, Role, StopReason, Usage } from '../contract/protocol';
import { TABLE_SCHEMA } from '../contract/table-schema';

/** A conversation as stored. */
export interface ConversationRecord extends ConversationSummary {
  /** The title is still the automatic one (a rename makes it false; the model title only replaces an automatic one). */
  titleAuto: boolean;
  leaseReplyId?: string;
  leaseUntil?: number;
  /** Ratio of Bedrock's reported input tokens to our estimate (history window calibration). */
  calib?: number;
}

/** A message as stored (user message or reply). */
export interface StoredMessage extends MessageItem {
  sk: string;
  checkpointAt?: number;
  stopReason?: StopReason;
}

/**
 * What a sendMessage claim remembers: the ids a retry answers with, and everything needed to
 * store the turn again (keys derive from `t`) when the invocation that claimed it did not.
 */
export interface Claim {
  conversationId: string;
  replyId: string;
  t: number;
  /** The whole message text (a split message assembled); absent on claims written before it was kept. */
  text?: string;
  /** The claiming call created the conversation, so the first answer also makes its title. */
  created?: boolean;
}

/** Where a reply lives, and whether its stop was requested. */
export interface ReplyPointer {
  conversationId: string;
  sk: string;
  stopRequested: boolean;
}

/** A page and the opaque cursor to the next one. */
export interface StorePage<T> { items: T[]; nextCursor?: string }

const SK = TABLE_SCHEMA.sortKey;

/** Thrown for a cursor that is not ours (forged, or another user's/conversation's). */
export class BadCursorError extends Error {}

/** Opaque cursor of a query's LastEvaluatedKey. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

/**
 * The key of a cursor, refused unless it is exactly a key of the caller's own query: its fixed
 * attributes equal `expect` (the caller's own partition) and it has each of `prefixes` (the other
 * key attributes) starting with the given prefix and nothing else. DynamoDB answers a start key
 * it cannot use with an error, so a tampered cursor must be refused here to be a 400.
 */
export function decodeCursor(cursor: string | undefined, expect: Record<string, string>,
  prefixes: Record<string, string>): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  let key: any;
  try { key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')); } catch { throw new BadCursorError('bad cursor'); }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new BadCursorError('bad cursor');
  for (const [k, v] of Object.entries(expect)) if (key[k] !== v) throw new BadCursorError('bad cursor');
  for (const [k, p] of Object.entries(prefixes)) {
    if (typeof key[k] !== 'string' || !key[k].startsWith(p) || key[k].length === p.length) throw new BadCursorError('bad cursor');
  }
  if (Object.keys(key).length !== Object.keys(expect).length + Object.keys(prefixes).length) throw new BadCursorError('bad cursor');
  // `expect` holds partition keys and `prefixes` sort keys (of the table and of the index).
  if (!cursorKeyFits(key, Object.keys(expect), Object.keys(prefixes))) throw new BadCursorError('bad cursor');
  return key;
}

/** A streaming reply whose generator stopped checkpointing long ago died: it reads as `interrupted`. */
export function effectiveStatus(m: { status: MessageStatus; checkpointAt?: number }, now: number): MessageStatus {
  return m.status === 'streaming' && (m.checkpointAt ?? 0) < now - INTERRUPTED_AFTER_MS ? 'interrupted' : m.status;
}

/** A conversation item as a record. */
export function toConversation(item: Record<string, any>): ConversationRecord {
  return {
    conversationId: item.conversationId,
    title: item.title ?? '',
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    titleAuto: item.titleAuto !== false,
    leaseReplyId: item.leaseReplyId,
    leaseUntil: item.leaseUntil,
    calib: item.calib,
  };
}

/** A message item as a record. */
export function toMessage(item: Record<string, any>): StoredMessage {
  const m: StoredMessage = {
    messageId: item.messageId,
    role: item.role as Role,
    text: item.text ?? '',
    status: item.status,
    createdAt: item.createdAt,
    sk: item[SK],
    checkpointAt: item.checkpointAt,
    stopReason: item.stopReason,
  };
  if (item.usage) m.usage = item.usage as Usage;
  return m;
}
