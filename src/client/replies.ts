/**
 * Bookkeeping for messages in flight: a send until the server accepts it, then its reply until
 * it is finished. A reply is fed by `delta` frames while they arrive in order on the connection
 * that asked for it; after a seq gap, a lost connection or a retried send it is read over HTTP
 * instead (the server checkpoints it while streaming), polling until it has a final status.
 */
import type { DoneFrame, MessageItem, MessageStatus, SendMessageFrame, StopReason, Usage } from '../core/protocol';
import type { AssistantMessage } from './message-view';

/** A message sent (or waiting to be sent) that the server has not accepted yet. */
export interface PendingSend {
  readonly messageId: string;
  readonly text: string;
  /** Undefined for the first message of a new conversation, until `accepted` names it. */
  conversationId?: string;
  frames: SendMessageFrame[];
  readonly userElement: HTMLElement;
  readonly view: AssistantMessage;
  /** `queued`: not on the wire yet; `sent`: on the wire; `failed`: refused with an error. */
  state: 'queued' | 'sent' | 'failed';
  /** Sent again (same messageId) on a newer connection: its deltas may be going elsewhere. */
  resent: boolean;
  /** Stop was pressed before the replyId was known. */
  stopRequested: boolean;
  /** The view (see ChatController.viewToken) it was written in. */
  readonly viewToken: number;
}

/** A reply being generated. */
export interface Reply {
  readonly replyId: string;
  readonly conversationId: string;
  readonly view: AssistantMessage;
  /** The seq the next delta must have. */
  nextSeq: number;
  /** Read over HTTP instead of from deltas. */
  viaHttp: boolean;
  finished: boolean;
  /** The `done` frame, when it came while the reply was read over HTTP. */
  done?: DoneFrame;
  pollTimer?: ReturnType<typeof setTimeout>;
  /** Stop must still be sent (the socket was down when it was pressed). */
  stopPending: boolean;
}

/** How a delta relates to what the reply has: apply it, drop a duplicate, or resync on a gap. */
export function classifyDelta(nextSeq: number, seq: number): 'apply' | 'duplicate' | 'gap' {
  if (seq === nextSeq) return 'apply';
  return seq < nextSeq ? 'duplicate' : 'gap';
}

/** What a stored message says about its reply: still streaming, or finished and why. */
export function storedOutcome(item: MessageItem, done?: DoneFrame): { final: boolean; reason: StopReason | MessageStatus; usage?: Usage } {
  if (item.status === 'streaming') return { final: false, reason: 'streaming' };
  return { final: true, reason: done?.stopReason ?? item.status, usage: item.usage ?? done?.usage };
}
