/**
 * The store as the runtime sees it: one focused port per kind of item, each implemented by a
 * module that alone writes and reads those items (store/ for DynamoDB). Identity is a parameter
 * of every call and part of every key, so another user's ids simply do not exist.
 */
import type { TreeNodes, TreeRoot, TurnPlace } from './tree';
import type { MessageAttachment } from '../../contract/attachments';
import type { ConversationSummary, MessageItem, MessageStatus, StopReason, Usage } from '../../contract/protocol';

/** A conversation as stored. */
export interface ConversationRecord extends ConversationSummary {
  /** The title is still the automatic one (a rename makes it false; the model title only replaces an automatic one). */
  titleAuto: boolean;
  leaseReplyId?: string;
  leaseUntil?: number;
  /** The message whose reply holds the lease (a concurrent copy of it is answered, not BUSY). */
  leaseMessageId?: string;
  /** Ratio of Bedrock's reported input tokens to our estimate (history window calibration). */
  calib?: number;
  /** The root's children and the active leaf (docs/TABLE.md §8). */
  tree?: TreeRoot;
}

/** A message as stored (user message or reply). */
export interface StoredMessage extends MessageItem {
  checkpointAt?: number;
  stopReason?: StopReason;
}

/**
 * One turn's identity: the user message and its reply, ordered by `t` (the accepting call's
 * time). Every key of the turn derives from it, so any invocation holding the claim can store it.
 */
export interface TurnRef {
  conversationId: string;
  t: number;
  messageId: string;
  replyId: string;
  /** Its place on the conversation tree; absent on turns of claims made before the tree. */
  tree?: TurnPlace;
  /** A regenerate: the id of the request (its claim), `messageId` being the user message it answers again. */
  requestId?: string;
  /** The model that writes the reply (stored on it, remembered by the conversation). */
  modelId?: string;
  /** The user message's files (docs/PROTOCOL.md §15), stored on it. */
  attachments?: MessageAttachment[];
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
  /** Where the turn goes on the tree (absent on claims made before the tree). */
  tree?: TurnPlace;
  /** A regenerate's claim: the user message answered again (`tree.userT` is its time). */
  userMessageId?: string;
  /** The model chosen at acceptance: a resend finishes the turn with it. Absent on older claims. */
  modelId?: string;
  /** The message's attachments (docs/PROTOCOL.md §15): a resend stores and answers the same turn. */
  attachmentIds?: string[];
}

/** A reply's stop flag (absent once its conversation is deleted). */
export interface ReplyPointer {
  conversationId: string;
  stopRequested: boolean;
}

/** A page and the opaque cursor to the next one. */
export interface StorePage<T> { items: T[]; nextCursor?: string }

/** Thrown for a cursor that is not ours (forged, or another user's/conversation's). */
export class BadCursorError extends Error {}

/** The final state of a reply. */
export interface FinalReply {
  text: string;
  status: MessageStatus;
  stopReason?: StopReason;
  usage?: Usage;
}

/**
 * Taking a conversation's generation lease: taken (with the conversation as the taking write
 * left it, so the caller reads it no more), held by another message's reply, no such
 * conversation — or held by another reply of the same message (a concurrent copy of the frame),
 * whose id it answers.
 */
export type LeaseResult = LeaseTaken | 'busy' | 'missing' | LeaseOfSameMessage;

/** The lease was taken: the conversation as it is now, leased to the caller. */
export interface LeaseTaken {
  readonly leased: ConversationRecord;
}

/** Whether {@link Conversations.acquireLease} took the lease. */
export const leaseTaken = (r: LeaseResult): r is LeaseTaken => typeof r === 'object' && 'leased' in r;

/** The lease is held by a reply of the message that asked for it (see {@link LeaseResult}). */
export interface LeaseOfSameMessage {
  readonly sameMessage: { readonly replyId: string };
}

/** Conversation items, with the generation lease and the calibration they carry. */
export interface Conversations {
  get(user: string, conversationId: string): Promise<ConversationRecord | undefined>;
  /** Creates a conversation already leased to `replyId`; false if the id exists. */
  create(user: string, conversationId: string, title: string, now: number, replyId: string, leaseUntil: number): Promise<boolean>;
  /**
   * Takes the lease. A lease already held for the same `replyId` is taken again: a resend that
   * finishes a turn whose first invocation failed must not wait out that invocation's lease.
   * `messageId` is recorded with the lease; a live lease held for the same `messageId` by
   * another reply answers that reply's id instead of `busy`.
   */
  acquireLease(user: string, conversationId: string, replyId: string, now: number, until: number, messageId?: string): Promise<LeaseResult>;
  /** Extends the lease while this reply still holds it; with `modelId`, the conversation's model becomes it. */
  renewLease(user: string, conversationId: string, replyId: string, until: number, modelId?: string): Promise<boolean>;
  /** Ends the lease and records the conversation's new activity time (and calibration). */
  finishLease(user: string, conversationId: string, replyId: string, now: number, calib?: number): Promise<boolean>;
  /** Gives the lease back without recording activity (nothing was generated). */
  releaseLease(user: string, conversationId: string, replyId: string): Promise<boolean>;
  /** Removes an empty conversation this call created and then did not use (lost an idempotency race). */
  dropNew(user: string, conversationId: string, replyId: string): Promise<void>;
  /** The model title replaces only an automatic title (never a user's rename). */
  setGeneratedTitle(user: string, conversationId: string, title: string): Promise<boolean>;
  /** A user's rename; undefined when the conversation is not theirs. */
  rename(user: string, conversationId: string, title: string): Promise<ConversationRecord | undefined>;
  /** One page of a user's conversations, most recently updated first. */
  list(user: string, limit: number, cursor?: string): Promise<StorePage<ConversationRecord>>;
  /** Deletes the conversation item only; false when there is none of this user. */
  delete(user: string, conversationId: string): Promise<boolean>;
  /**
   * A bounded title search: reads the user's conversations most recently updated first (after
   * `cursor`, a cursor of this or of {@link list}), at most `maxRead` of them, and answers those
   * `match` accepts, at most `limit`. `nextCursor` continues the scan after the last one read; it
   * is absent when the scan reached the end (a cursor may still lead to an empty last page).
   */
  search(user: string, match: (c: ConversationRecord) => boolean, limit: number, maxRead: number,
    cursor?: string): Promise<StorePage<ConversationRecord>>;
}

/** Message items (user messages and replies) and the reply pointers (stop flags) of their turns. */
export interface Messages {
  /**
   * Stores a claimed turn: the user message and the reply's pointer, then the empty `streaming`
   * reply with a conditional put, last: the one call that creates it generates (true); every
   * other call sees it exists and starts nothing (false). A `rerun` (a resend finishing the turn)
   * puts the first two only where missing, so it never overwrites what a still-running first call
   * wrote (a stop already requested).
   */
  putTurn(user: string, turn: TurnRef, text: string, rerun?: boolean): Promise<boolean>;
  /** Whether the turn's reply was stored (the turn's last write, see putTurn). */
  hasReply(user: string, turn: TurnRef): Promise<boolean>;
  /**
   * Stores the reply text so far (`undefined`: unchanged, only the time, so a silent but live
   * generator never reads as `interrupted`); false when the reply no longer exists.
   */
  checkpointReply(user: string, turn: TurnRef, text: string | undefined, now: number): Promise<boolean>;
  /** Stores the final text, status, stop reason and usage; false when the reply no longer exists. */
  finishReply(user: string, turn: TurnRef, final: FinalReply, now: number): Promise<boolean>;
  replyPointer(user: string, replyId: string): Promise<ReplyPointer | undefined>;
  /** Sets the stop flag of this user's reply; false when there is no such reply of this user. */
  requestStop(user: string, replyId: string): Promise<boolean>;
  /** One page of a conversation's messages, newest first; with `upTo`, only up to that turn's user message. */
  newestFirst(user: string, conversationId: string, limit: number, cursor?: string, upTo?: TurnRef): Promise<StorePage<StoredMessage>>;
  /**
   * The cursor of a {@link newestFirst} page cut short after `message` (one of that page's items):
   * the next page starts with the message after it, as if the page had ended there.
   */
  cursorAfter(user: string, conversationId: string, message: StoredMessage): string;
  /**
   * Deletes one turn's items (its user message, reply and reply pointer), whichever exist: a turn
   * that found its conversation deleted (or its lease taken) right after it was stored.
   */
  deleteTurn(user: string, turn: TurnRef): Promise<void>;
  /** Deletes every message and reply pointer of a conversation; answers the ids of its user messages. */
  deleteAll(user: string, conversationId: string): Promise<string[]>;
}

/** sendMessage idempotency claims, one per message id. */
export interface Claims {
  /** Conditional put on the message id: true when this call made the claim, false when it existed. */
  put(user: string, messageId: string, claim: Claim, now: number): Promise<boolean>;
  get(user: string, messageId: string): Promise<Claim | undefined>;
  delete(user: string, messageIds: readonly string[]): Promise<void>;
}

/** One arrived part of a split message: the fields its set's parts must agree on are kept with it. */
export interface PartInput {
  messageId: string;
  conversationId?: string;
  index: number;
  count: number;
  text: string;
  parentId?: string;
  modelId?: string;
  /** The message's files (docs/PROTOCOL.md §15): every part carries the same list. */
  attachmentIds?: string[];
}

/** The live parts of a split message, in index order, and whether the set was decided. */
export interface PartSet {
  decided: boolean;
  parts: PartInput[];
}

/** Parts of split messages and the `done` marker that decides each set once (all expire). */
export interface Parts {
  /** Stores one part and answers the set as it is now (parts past their expiry are absent). */
  put(user: string, part: PartInput, now: number): Promise<PartSet>;
  /** Conditional put of the set's `done` marker: true for the one call that decides the set. */
  decide(user: string, messageId: string, now: number): Promise<boolean>;
  /** Takes the marker back, so a resend of the parts completes the set again. */
  reopen(user: string, messageId: string): Promise<void>;
  /** Removes the given parts (the marker stays until it expires, so late duplicates stay quiet). */
  remove(user: string, messageId: string, indexes: readonly number[]): Promise<void>;
}

/** A message's token of its minute: newly taken, already held by this message, or refused (the minute is full). */
export type TokenResult = 'taken' | 'held' | 'refused';

/**
 * Per-user counters of fixed one-minute windows (they expire): the messages (each with the ids
 * that hold its tokens, so a message never takes two in a minute), and the bytes of parts stored.
 */
export interface RateCounters {
  /**
   * Takes one of `now`'s minute's `limit` message tokens for `messageId`, atomically: `held`
   * when this message already took one in that minute (concurrent copies of a frame spend one
   * token), `refused` (nothing counted) when the minute already has `limit` messages.
   */
  take(user: string, messageId: string, now: number, limit: number): Promise<TokenResult>;
  /** Messages counted in `now`'s minute, without taking a token. */
  count(user: string, now: number): Promise<number>;
  /** Counts `bytes` of parts in `now`'s minute unless the minute would pass `limit`: false counts nothing. */
  takePartBytes(user: string, bytes: number, now: number, limit: number): Promise<boolean>;
  /**
   * True for the first call for `messageId` in `now`'s minute (of at most `cap` messages a
   * minute): the one refused part of that message that is answered.
   */
  firstPartRefusal(user: string, messageId: string, now: number, cap: number): Promise<boolean>;
}

/** A user's standing instructions as stored. */
export interface StoredInstructions {
  text: string;
  updatedAt: string;
}

/** Per-user instructions (one item a user; none stored when empty). */
export interface InstructionsStore {
  get(user: string): Promise<StoredInstructions | undefined>;
  /** Stores `text` (an empty text removes the item); answers what is stored now. */
  put(user: string, text: string, now: number): Promise<StoredInstructions>;
}

/** Everything the runtime keeps. */
export interface Store {
  readonly conversations: Conversations;
  readonly messages: Messages;
  readonly claims: Claims;
  readonly parts: Parts;
  readonly rates: RateCounters;
  /** The conversation tree (docs/TABLE.md §8). A store without it keeps conversations linear. */
  readonly tree?: TreeNodes;
  readonly instructions: InstructionsStore;
}
