import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { Clock, realClock } from './clock';
import type { ChatConfig } from './config';
import { generateReply, Outbox, ReplyOutcome } from './generate';
import { newId } from './ids';
import { messageSk } from './keys';
import { INITIAL_TITLE_CHARS, LEASE_MS } from './limits';
import { converseOnce } from './model';
import { deleteParts, reopenParts, storePart } from './parts';
import { cleanTitle, TITLE_SYSTEM_PROMPT, titleRequestText } from './prompts';
import { ErrorCode, ErrorFrame, MAX_TITLE_CHARS, parseClientFrame, SendMessageFrame } from '../contract/protocol';
import { hasVisibleText, invisibleTextMessage } from '../contract/text-checks';
import { takeRateToken } from './rate-limit';
import type { Claim, ConversationStore } from './store';
import { silentTelemetry, Telemetry } from './telemetry';

export type { Outbox } from './generate';

/** What the chat service is built from. */
export interface ChatServiceDeps {
  config: ChatConfig;
  store: ConversationStore;
  bedrock: BedrockRuntimeClient;
  clock?: Clock;
  telemetry?: Telemetry;
}

/** Per-call context from the handler. */
export interface FrameContext {
  /** Epoch ms by which the invocation must have stored its result (Lambda timeout). */
  deadline?: number;
}

const ERROR_RETRYABLE: Partial<Record<ErrorCode, boolean>> = { BUSY: true, RATE_LIMITED: true, MODEL_THROTTLED: true, INTERNAL: true };

function errorFrame(code: ErrorCode, message: string, ids: { messageId?: string; replyId?: string } = {}): ErrorFrame {
  return { type: 'error', code, message, retryable: ERROR_RETRYABLE[code] ?? false, ...ids };
}

const NO_CONVERSATION = 'There is no such conversation.';
const BUSY = 'A reply is still being written in this conversation. Wait for it or stop it.';

/**
 * The chat runtime without AWS event shapes: one client frame in, frames out through the
 * connection's outbox. `user` is always the verified identity, never a field of the frame.
 */
export class ChatService {
  private readonly clock: Clock;
  private readonly telemetry: Telemetry;

  constructor(private readonly deps: ChatServiceDeps) {
    this.clock = deps.clock ?? realClock;
    this.telemetry = deps.telemetry ?? silentTelemetry;
  }

  /** Handles one raw frame (a string, or the object an async integration delivers). */
  public async handleFrame(user: string, body: unknown, out: Outbox, ctx: FrameContext = {}): Promise<void> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body ?? null);
    const parsed = parseClientFrame(raw, this.deps.config.limits);
    if (!parsed.ok) {
      this.telemetry.errorCode(parsed.error.code);
      await out.post(parsed.error);
      return;
    }
    const frame = parsed.frame;
    try {
      if (frame.action === 'ping') await out.post({ type: 'pong' });
      else if (frame.action === 'stop') await this.stop(user, frame.replyId, out);
      else await this.sendMessage(user, frame, out, ctx);
    } catch (err) {
      this.telemetry.error('frame failed', { action: frame.action, error: (err as Error).name, detail: (err as Error).message });
      this.telemetry.errorCode('INTERNAL');
      const ids = frame.action === 'sendMessage' ? { messageId: frame.messageId } : frame.action === 'stop' ? { replyId: frame.replyId } : {};
      await out.post(errorFrame('INTERNAL', 'Something went wrong on our side. Please try again.', ids));
    } finally {
      this.telemetry.flush();
    }
  }

  /** Sets the stop flag the generator reads; another user's reply is NOT_FOUND. */
  public async stop(user: string, replyId: string, out: Outbox): Promise<void> {
    if (!(await this.deps.store.requestStop(user, replyId))) {
      await out.post(errorFrame('NOT_FOUND', 'There is no such reply.', { replyId }));
    }
  }

  /** Accepts (or re-accepts) a message and generates its reply. */
  public async sendMessage(user: string, frame: SendMessageFrame, out: Outbox, ctx: FrameContext = {}): Promise<ReplyOutcome | undefined> {
    const { store, config } = this.deps;
    const now = this.clock.now();
    const fail = (code: ErrorCode, message: string) => this.refuse(out, code, message, frame.messageId);

    // A retry of a message already taken answers with the same ids; it only finishes a turn that
    // was never stored, and never starts a second generation.
    const existing = await store.getClaim(user, frame.messageId);
    if (existing) return this.resume(user, frame, existing, out, ctx);

    if (!frame.part) return this.acceptWhole(user, frame, frame.text, now, out, ctx);
    const r = await storePart(store, user, { messageId: frame.messageId, conversationId: frame.conversationId, ...frame.part, text: frame.text },
      now, config.limits.maxInputChars);
    if (r.state === 'error') return fail(r.error.code, r.error.message);
    if (r.state !== 'complete') return undefined; // waiting for more parts, or another invocation answers
    if (!hasVisibleText(r.text)) return fail('BAD_REQUEST', invisibleTextMessage('message'));
    // Until a claim exists, a refusal (BUSY, RATE_LIMITED, a store error) must leave the set
    // completable again by the client's resend, or the resent parts would all read as taken.
    let claimed = false;
    try {
      return await this.acceptWhole(user, frame, r.text, now, out, ctx, () => { claimed = true; });
    } finally {
      if (!claimed) {
        await reopenParts(store, user, frame.messageId)
          .catch((err) => this.telemetry.warn('reopening parts failed', { error: (err as Error).name }));
      }
    }
  }

  /** Rate limit, lease, claim, then the turn: the path of a whole (or assembled) new message. */
  private async acceptWhole(user: string, frame: SendMessageFrame, text: string, now: number, out: Outbox, ctx: FrameContext,
    onClaimed: () => void = () => {}): Promise<ReplyOutcome | undefined> {
    const { store, config } = this.deps;
    const fail = (code: ErrorCode, message: string) => this.refuse(out, code, message, frame.messageId);

    if (!(await takeRateToken(store, user, config.rateLimitPerMinute, now))) {
      return fail('RATE_LIMITED', `Too many messages: at most ${config.rateLimitPerMinute} a minute. Please wait a moment.`);
    }

    const replyId = newId();
    let conversationId = frame.conversationId;
    let calib = 1;
    let created = false;
    if (conversationId) {
      const lease = await store.acquireLease(user, conversationId, replyId, now, now + LEASE_MS);
      if (lease === 'missing') return fail('NOT_FOUND', NO_CONVERSATION);
      if (lease === 'busy') return fail('BUSY', BUSY);
      calib = (await store.getConversation(user, conversationId))?.calib ?? 1;
    } else {
      conversationId = newId();
      const title = Array.from(text.trim().split('\n')[0]).slice(0, INITIAL_TITLE_CHARS).join('');
      created = await store.createConversation(user, conversationId, title, now, replyId, now + LEASE_MS);
      if (!created) return fail('INTERNAL', 'Could not create the conversation. Please try again.');
    }

    // The conditional put on messageId: exactly one invocation of a message goes on. The claim
    // keeps the text, so a resend can store the turn if this invocation fails before it does.
    const claim = { conversationId, replyId, t: now, text, created };
    let won: boolean;
    try {
      won = await store.claimMessage(user, frame.messageId, claim, Math.floor(now / 1000));
    } catch (err) {
      // The resend must find the conversation free, not BUSY for 30 s. Only the lease is given
      // back: the put may have happened after all, and then the resend finishes the turn in it.
      await store.releaseLease(user, conversationId, replyId).catch(() => undefined);
      throw err;
    }
    onClaimed();
    if (!won) {
      if (created) await store.dropNewConversation(user, conversationId, replyId);
      else await store.releaseLease(user, conversationId, replyId);
      const other = await store.getClaim(user, frame.messageId);
      return other ? this.resume(user, frame, other, out, ctx, true) : undefined;
    }
    return this.startTurn(user, frame.messageId, claim, calib, frame.part?.count, out, ctx);
  }

  /**
   * A message whose claim exists: answer `accepted` with its ids. When the reply it promised was
   * never stored (the store kept refusing, or the claiming invocation died between its writes),
   * take the lease again for the same reply and store the turn from the claim; the reply's
   * conditional put lets exactly one of any concurrent resends (or a still-running first
   * invocation) generate.
   */
  private async resume(user: string, frame: SendMessageFrame, claim: Claim, out: Outbox, ctx: FrameContext,
    completedParts = false): Promise<ReplyOutcome | undefined> {
    const { store } = this.deps;
    // Every part of a resent split message finds the claim; one of them answers (or the one
    // that completed the set, when it lost the claim to a concurrent resend).
    if (frame.part && frame.part.index !== 0 && !completedParts) return undefined;
    const accepted = { type: 'accepted' as const, messageId: frame.messageId, conversationId: claim.conversationId, replyId: claim.replyId };
    if (claim.text === undefined || await store.hasReply(user, claim)) {
      await out.post(accepted);
      return undefined;
    }
    const now = this.clock.now();
    const lease = await store.acquireLease(user, claim.conversationId, claim.replyId, now, now + LEASE_MS);
    if (lease === 'missing') return this.refuse(out, 'NOT_FOUND', NO_CONVERSATION, frame.messageId);
    if (lease === 'busy') return this.refuse(out, 'BUSY', BUSY, frame.messageId);
    this.telemetry.info('finishing a claimed turn', { conversationId: claim.conversationId, replyId: claim.replyId });
    const calib = (await store.getConversation(user, claim.conversationId))?.calib ?? 1;
    return this.startTurn(user, frame.messageId, claim, calib, frame.part?.count, out, ctx, true);
  }

  /** Stores the claimed turn and, if this call created its reply, answers `accepted` and generates. */
  private async startTurn(user: string, messageId: string, claim: Claim, calib: number, partCount: number | undefined,
    out: Outbox, ctx: FrameContext, rerun = false): Promise<ReplyOutcome | undefined> {
    const { store } = this.deps;
    const { conversationId, replyId, t } = claim;
    const text = claim.text ?? '';
    const accepted = { type: 'accepted' as const, messageId, conversationId, replyId };
    if (!(await store.putTurn(user, conversationId, t, messageId, text, replyId, rerun))) {
      // Another invocation created the reply and generates it (it holds the same lease).
      await out.post(accepted);
      return undefined;
    }
    if (partCount) {
      // Parts expire anyway: a failed cleanup must not fail a stored, accepted turn.
      await deleteParts(store, user, messageId, partCount)
        .catch((err) => this.telemetry.warn('parts cleanup failed', { error: (err as Error).name }));
    }
    this.telemetry.info('message accepted', { conversationId, replyId, chars: text.length, created: claim.created });
    await out.post(accepted);

    const outcome = await generateReply({ ...this.deps, clock: this.clock, telemetry: this.telemetry }, {
      user,
      conversationId,
      replyId,
      text,
      calib,
      deadline: ctx.deadline,
      replySk: messageSk(t, 1, replyId),
      userMessageSk: messageSk(t, 0, messageId),
    }, out);

    if (claim.created && (outcome.status === 'complete' || outcome.status === 'stopped') && outcome.text.trim()) {
      await this.makeTitle(user, conversationId, text, outcome.text, out);
    }
    return outcome;
  }

  /** Answers a message with an error frame (and counts it). */
  private async refuse(out: Outbox, code: ErrorCode, message: string, messageId: string): Promise<undefined> {
    this.telemetry.errorCode(code);
    await out.post(errorFrame(code, message, { messageId }));
    return undefined;
  }

  /** A short title from a cheap non-streaming call; failures only cost the title. */
  private async makeTitle(user: string, conversationId: string, question: string, answer: string, out: Outbox): Promise<void> {
    const { config, store, bedrock } = this.deps;
    try {
      const raw = await converseOnce(bedrock, config.titleModelId, TITLE_SYSTEM_PROMPT, titleRequestText(question, answer), 40);
      const title = cleanTitle(raw, MAX_TITLE_CHARS);
      if (title && (await store.setGeneratedTitle(user, conversationId, title))) {
        await out.post({ type: 'title', conversationId, title });
      }
    } catch (err) {
      this.telemetry.warn('title failed', { conversationId, error: (err as Error).name });
    }
  }
}
