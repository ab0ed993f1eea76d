/**
 * Decisions about accepting a message, free of any store: the refusals and their frames, a new
 * conversation's first title, and the judgement of a split message's parts.
 */
import { INITIAL_TITLE_CHARS } from './runtime-limits';
import { firstChars } from './text';
import { checkMessageText, DEFAULT_LIMITS, ErrorCode, ErrorFrame, MessagePart, MODEL_ID_MESSAGE } from '../../contract/protocol';
import type { Claim, ConversationRecord, LeaseResult, PartInput, TurnRef } from '../ports/store';

/** The codes a client may simply try again on. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['BUSY', 'RATE_LIMITED', 'MODEL_THROTTLED', 'INTERNAL']);

/** An error frame for a message or reply; `retryable` follows from the code. */
export function errorFrame(code: ErrorCode, message: string, ids: { messageId?: string; replyId?: string } = {}): ErrorFrame {
  return { type: 'error', code, message, retryable: RETRYABLE.has(code), ...ids };
}

/** The messages of the refusals a sendMessage can meet. */
export const REFUSAL = {
  noConversation: 'There is no such conversation.',
  busy: 'A reply is still being written in this conversation. Wait for it or stop it.',
  noReply: 'There is no such reply.',
  notCreated: 'Could not create the conversation. Please try again.',
  internal: 'Something went wrong on our side. Please try again.',
  rateLimited: (perMinute: number) => `Too many messages: at most ${perMinute} a minute. Please wait a moment.`,
  mixedParts: 'The parts of a message must share count, conversationId, parentId, modelId and attachmentIds.',
  noMessage: 'There is no such message in this conversation.',
  tooManyVersions: (max: number) => `A message may have at most ${max} versions.`,
  unknownModel: MODEL_ID_MESSAGE,
} as const;

/** A new conversation's title until the model's arrives: the first line's first characters. */
export function initialTitle(text: string): string {
  return firstChars(text.trim().split('\n')[0], INITIAL_TITLE_CHARS);
}

/** The turn a claim promised for `messageId`: every key of it derives from the claim. */
export function turnOf(messageId: string, claim: Claim): TurnRef {
  const turn: TurnRef = { conversationId: claim.conversationId, t: claim.t, messageId, replyId: claim.replyId };
  if (claim.modelId) turn.modelId = claim.modelId;
  if (claim.tree) turn.tree = claim.tree;
  // A regenerate's turn is the user message it answers again; the request id is its claim's.
  if (claim.userMessageId) Object.assign(turn, { messageId: claim.userMessageId, requestId: messageId });
  return turn;
}

/**
 * Whether this frame of an already claimed message answers it: every part of a resent split
 * message finds the claim, and only one answers — part 0, or the part whose arrival completed
 * the set when it then lost the claim to a concurrent resend.
 */
export function answersClaim(part: MessagePart | undefined, completedParts: boolean): boolean {
  return !part || part.index === 0 || completedParts;
}

/** Whether a claim can store its turn again (claims written before the text was kept cannot). */
export function replayable(claim: Claim): claim is Claim & { text: string } {
  return claim.text !== undefined;
}

/** Whether two parts agree on what their set is: count, conversation, parent, model and files (same ids, same order). */
function sameSet(a: PartInput, b: PartInput): boolean {
  // Ids are [A-Za-z0-9_-]: joined with a space, equal strings are equal lists.
  const files = (p: PartInput) => (p.attachmentIds ?? []).join(' ');
  return a.count === b.count && (a.conversationId ?? '') === (b.conversationId ?? '') && (a.parentId ?? '') === (b.parentId ?? '')
    && (a.modelId ?? '') === (b.modelId ?? '') && files(a) === files(b);
}

/** What the parts seen so far say about their set. */
export type PartJudgement =
  | { verdict: 'waiting' }
  | { verdict: 'complete'; text: string }
  | { verdict: 'refused'; error: ErrorFrame };

/**
 * Judges a split message's live parts (in index order) as `arrived` sees them: refused as soon
 * as they prove the set bad (parts disagreeing on count, conversation, parent, model or files;
 * text over the limit), complete once all are there, else waiting. Whether this caller answers
 * is the store's `decide`, never "I saw all parts".
 */
export function judgeParts(parts: readonly PartInput[], arrived: PartInput, maxInputChars: number): PartJudgement {
  const refuse = (error: ErrorFrame): PartJudgement => ({ verdict: 'refused', error: { ...error, messageId: arrived.messageId } });
  if (parts.some((p) => !sameSet(p, arrived))) return refuse(errorFrame('BAD_REQUEST', REFUSAL.mixedParts));
  const text = parts.map((p) => p.text).join('');
  // The whole message's check; before the last part only "too large" is already certain.
  const bad = checkMessageText(text, { ...DEFAULT_LIMITS, maxInputChars });
  if (bad?.code === 'TOO_LARGE') return refuse(bad);
  if (parts.length < arrived.count) return { verdict: 'waiting' };
  return bad ? refuse(bad) : { verdict: 'complete', text };
}

/** A live lease of another reply of `messageId`: a concurrent copy of that message is answered with it. */
export function sameMessageLease(c: ConversationRecord, now: number, messageId: string | undefined): LeaseResult | undefined {
  const live = c.leaseUntil !== undefined && c.leaseUntil >= now && c.leaseReplyId !== undefined;
  return live && messageId !== undefined && c.leaseMessageId === messageId ? { sameMessage: { replyId: c.leaseReplyId! } } : undefined;
}
