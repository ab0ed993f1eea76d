/**
 * Bookkeeping for messages in flight: a send until the server accepts it, then its reply until
 * it is finished. A reply is fed by `delta` frames while they arrive in order on the connection
 * that asked for it; after a seq gap, a lost connection or a retried send it is read over HTTP
 * instead (the server checkpoints it while streaming), polling until it has a final status.
 */
import { ApiRequestError, type HistoryApi } from './api';
import type { AssistantMessage } from './message-view';
import type { ClientFrame, DoneFrame, MessageItem, MessageStatus, StopReason, Usage } from '../contract/protocol';

/** A message (or a `regenerate`) sent or waiting to be sent that the server has not accepted yet. */
export interface PendingSend {
  readonly messageId: string;
  /** Undefined for the first message of a new conversation, until `accepted` names it. */
  conversationId?: string;
  frames: ClientFrame[];
  /** What it shows in the list: the user message and the answer (a regenerate: the answer). */
  readonly elements: HTMLElement[];
  /** A regenerate: the ids of the answers it adds a version to. */
  readonly regenerates?: string[];
  readonly view: AssistantMessage;
  /** `queued`: not on the wire yet; `sent`: on the wire; `failed`: refused with an error. */
  state: 'queued' | 'sent' | 'failed';
  /** Sent again (same messageId) on a newer connection: its deltas may be going elsewhere. */
  resent: boolean;
  /** The `ChatSocket.connection` it was last sent on. */
  sentOn?: number;
  /** Resends so far because no `accepted` came in time. */
  resends: number;
  acceptTimer?: ReturnType<typeof setTimeout>;
  /** BUSY answered to a resend: shown if no `accepted` comes before the resends run out. */
  refused?: string;
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

/**
 * `sendMessage` is an asynchronous route: API Gateway or Lambda may drop it and nothing comes
 * back. With no `accepted` this long after a send, the message is resent (same messageId: the
 * server answers a repeat once), waiting twice as long each time, {@link MAX_RESENDS} times;
 * then it is shown failed with Retry. 4 s + 8 s + 16 s: Retry shows 28 s after the first send.
 */
export const ACCEPT_TIMEOUT_MS = 4000;
/** Resends before the message is shown failed. */
export const MAX_RESENDS = 2;

/** The wait for `accepted` after send number `resends` (0: the first send). */
export function acceptWait(resends: number, base: number = ACCEPT_TIMEOUT_MS): number {
  return base * 2 ** resends;
}

/**
 * The first wait for `accepted`: {@link ACCEPT_TIMEOUT_MS}, or a shorter one from localStorage
 * `chatbot.acceptTimeoutMs` (100–60000), which lets tests and demos see the resends quickly.
 */
export function acceptTimeoutFrom(storage: Pick<Storage, 'getItem'>): number {
  const n = Number(storage.getItem('chatbot.acceptTimeoutMs'));
  return Number.isInteger(n) && n >= 100 && n <= 60_000 ? n : ACCEPT_TIMEOUT_MS;
}

/** How often a reply read over HTTP is re-read while it is still streaming. */
export const POLL_MS = 800;
/** …and after a failed read. */
export const POLL_RETRY_MS = 2000;
/** A reply re-read over HTTP is the newest message, so a small page finds it. */
const POLL_PAGE = 10;

/** Reads replies over HTTP until their stored status is final. */
export class HttpFollower {
  constructor(
    private readonly api: HistoryApi,
    private readonly finished: (r: Reply, reason: StopReason | MessageStatus, usage?: Usage) => void,
    private readonly unauthorized: () => void,
    /** The conversation is gone (deleted elsewhere): there is nothing left to read. */
    private readonly gone: (r: Reply) => void,
  ) {}

  /** Stops taking deltas for `r` and follows it over HTTP from now on. */
  follow(r: Reply): void {
    if (r.viaHttp || r.finished) return;
    r.viaHttp = true;
    this.schedule(r, 0);
  }

  /** Reads `r` again at once (its `done` frame just came). */
  readNow(r: Reply): void {
    this.schedule(r, 0);
  }

  private schedule(r: Reply, delay: number): void {
    clearTimeout(r.pollTimer);
    r.pollTimer = setTimeout(() => void this.read(r), delay);
  }

  private async read(r: Reply): Promise<void> {
    if (r.finished) return;
    try {
      const page = await this.api.listMessages(r.conversationId, undefined, POLL_PAGE);
      if (r.finished) return;
      const item = page.items.find((m) => m.messageId === r.replyId);
      if (!item) return this.schedule(r, POLL_MS);
      const outcome = storedOutcome(item, r.done);
      r.view.markdown.replace(item.text, outcome.final);
      if (outcome.final) this.finished(r, outcome.reason, outcome.usage);
      else this.schedule(r, POLL_MS);
    } catch (e) {
      if (e instanceof ApiRequestError && e.status === 401) return this.unauthorized();
      if (e instanceof ApiRequestError && e.status === 404) return this.gone(r);
      this.schedule(r, POLL_RETRY_MS);
    }
  }
}
