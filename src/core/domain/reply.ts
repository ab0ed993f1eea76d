/**
 * A reply's lifecycle as a table: the state a reply is in, the events that move it, and what
 * each ending stores and tells the client. Pure: the generator (generate.ts) feeds it events and
 * acts on its answers.
 *
 * One name per idea: a reply's `ReplyState` is where it is; the wire keeps its two fields
 * (PROTOCOL: `status` of a stored message, `stopReason` of `done`), both read off the ending here.
 */
import { INTERRUPTED_AFTER_MS } from './runtime-limits';
import type { ErrorCode, MessageStatus, ServerFrame, StopReason, Usage } from '../../contract/protocol';

/**
 * - `streaming`   the model is answering
 * - `finished`    the model ended by itself (its own stop reason: end_turn, max_tokens, …)
 * - `truncated`   cut at MAX_REPLY_BYTES (stored complete, stop reason `max_tokens`)
 * - `stopped`     the user's stop
 * - `interrupted` the invocation's deadline came first
 * - `lapsed`      its lease ran out unrenewed (the process was paused) or another reply took it:
 *                 stored and told as `interrupted`, but the conversation and its lease, which may
 *                 be another reply's now, are never touched
 * - `failed`      the model (or the runtime before it) failed
 * - `deleted`     the conversation was deleted meanwhile: nothing more is stored
 */
export type ReplyState = 'streaming' | 'finished' | 'truncated' | 'stopped' | 'interrupted' | 'lapsed' | 'failed' | 'deleted';

/** What can happen to a reply. */
export type ReplyEvent =
  | 'modelEnded' // the stream returned
  | 'modelFailed' // the stream threw
  | 'tooLong' // the text reached MAX_REPLY_BYTES
  | 'stopRequested'
  | 'deadline'
  | 'leaseLost' // the local clock passed the lease without a renewal, or the renewal found another reply's lease
  | 'replyGone'; // its pointer, checkpoint or final write found no reply, or its lease renewal no conversation

/**
 * The transitions; an event missing from a state's row leaves it where it is. The first ending
 * wins, except that a failure outranks a cut (the stored reply says `error`) and a vanished
 * reply outranks every ending but a failure (the client hears why, once). A lapsed lease is a
 * stop that came from outside: the model's failure after it is the cut, not a new ending.
 */
export const REPLY_TRANSITIONS: Readonly<Record<ReplyState, Partial<Record<ReplyEvent, ReplyState>>>> = {
  streaming: {
    modelEnded: 'finished',
    modelFailed: 'failed',
    tooLong: 'truncated',
    stopRequested: 'stopped',
    deadline: 'interrupted',
    leaseLost: 'lapsed',
    replyGone: 'deleted',
  },
  finished: { replyGone: 'deleted' },
  truncated: { modelFailed: 'failed', replyGone: 'deleted' },
  stopped: { modelFailed: 'failed', replyGone: 'deleted' },
  interrupted: { modelFailed: 'failed', replyGone: 'deleted' },
  // The stream was cut because the lease lapsed: how the cut model ended changes nothing.
  lapsed: { replyGone: 'deleted' },
  deleted: { modelFailed: 'failed' },
  failed: {},
};

/** The state after `event`. */
export function nextReplyState(state: ReplyState, event: ReplyEvent): ReplyState {
  return REPLY_TRANSITIONS[state][event] ?? state;
}

/** Whether the stream must be aborted: the reply ended before the model did. */
export function endsStream(state: ReplyState): boolean {
  return state !== 'streaming' && state !== 'finished';
}

/** What an ending stores as the reply's status and stop reason (given the model's own reason). */
const STORED: Record<Exclude<ReplyState, 'streaming'>, (model: StopReason) => { status: MessageStatus; stopReason?: StopReason }> = {
  finished: (model) => ({ status: 'complete', stopReason: model }),
  truncated: () => ({ status: 'complete', stopReason: 'max_tokens' }),
  stopped: () => ({ status: 'stopped', stopReason: 'stopped' }),
  interrupted: () => ({ status: 'interrupted', stopReason: 'interrupted' }),
  lapsed: () => ({ status: 'interrupted', stopReason: 'interrupted' }),
  failed: () => ({ status: 'error' }),
  // Not written back (the update is conditional); what the caller learns of it.
  deleted: (model) => ({ status: 'complete', stopReason: model }),
};

/**
 * Whether the ending may release the lease and record the conversation's activity: not when the
 * lease lapsed (another reply may hold it by now), nor once the conversation is gone.
 */
export function releasesLease(state: ReplyState): boolean {
  return state !== 'lapsed' && state !== 'deleted';
}

/** The status and stop reason an ended reply is stored with. */
export function storedEnding(state: ReplyState, modelStopReason: StopReason): { status: MessageStatus; stopReason?: StopReason } {
  if (state === 'streaming') return { status: 'streaming' };
  return STORED[state](modelStopReason);
}

/** A failure as the client hears it. */
export interface ReplyFailure {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

/** Why a reply whose conversation vanished ends with an error. */
export const DELETED_FAILURE: ReplyFailure = {
  code: 'NOT_FOUND', message: 'The conversation was deleted while this reply was being written.', retryable: false,
};

/**
 * The frame that ends a reply: every reply ends with `done` or `error`, so a client that sent it
 * (another tab, another device) never waits for a reply that will not come.
 */
export function finalFrame(state: ReplyState, ids: { replyId: string; conversationId: string }, stopReason: StopReason | undefined,
  usage: Usage, failure?: ReplyFailure): ServerFrame {
  const f = state === 'failed' ? failure : state === 'deleted' ? DELETED_FAILURE : undefined;
  if (f) return { type: 'error', code: f.code, message: f.message, retryable: f.retryable, replyId: ids.replyId };
  return { type: 'done', replyId: ids.replyId, conversationId: ids.conversationId, stopReason: stopReason ?? 'end_turn', usage };
}

/** A streaming reply whose generator stopped checkpointing long ago died: it reads as `interrupted`. */
export function effectiveStatus(m: { status: MessageStatus; checkpointAt?: number }, now: number): MessageStatus {
  return m.status === 'streaming' && (m.checkpointAt ?? 0) < now - INTERRUPTED_AFTER_MS ? 'interrupted' : m.status;
}
