import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { Clock, realClock } from './clock';
import type { ChatConfig } from './config';
import { generateReply, Outbox, ReplyOutcome } from './generate';
import { newId } from './ids';
import { messageSk } from './keys';
import { INITIAL_TITLE_CHARS, LEASE_MS } from './limits';
import { converseOnce } from './model';
import { deleteParts, storePart } from './parts';
import { cleanTitle, TITLE_SYSTEM_PROMPT, titleRequestText } from './prompts';
import { ErrorCode, ErrorFrame, MAX_TITLE_CHARS, parseClientFrame, SendMessageFrame } from './protocol';
import { takeRateToken } from './rate-limit';
import type { ConversationStore } from './store';
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
    const ids = { messageId: frame.messageId };
    const fail = async (code: ErrorCode, message: string) => {
      this.telemetry.errorCode(code);
      await out.post(errorFrame(code, message, ids));
      return undefined;
    };

    // A retry of a message already taken answers with the same ids and starts nothing.
    const existing = await store.getClaim(user, frame.messageId);
    if (existing) {
      await out.post({ type: 'accepted', messageId: frame.messageId, conversationId: existing.conversationId, replyId: existing.replyId });
      return undefined;
    }

    let text = frame.text;
    if (frame.part) {
      const r = await storePart(store, user, { messageId: frame.messageId, conversationId: frame.conversationId, ...frame.part, text: frame.text },
        now, config.limits.maxInputChars);
      if (r.state === 'error') return fail(r.error.code, r.error.message);
      if (r.state !== 'complete') return undefined; // waiting for more parts, or another invocation assembles
      text = r.text;
      if (text.trim().length === 0) return fail('BAD_REQUEST', 'The message is empty.');
    }

    if (!(await takeRateToken(store, user, config.rateLimitPerMinute, now))) {
      return fail('RATE_LIMITED', `Too many messages: at most ${config.rateLimitPerMinute} a minute. Please wait a moment.`);
    }

    const replyId = newId();
    let conversationId = frame.conversationId;
    let calib = 1;
    let created = false;
    if (conversationId) {
      const lease = await store.acquireLease(user, conversationId, replyId, now, now + LEASE_MS);
      if (lease === 'missing') return fail('NOT_FOUND', 'There is no such conversation.');
      if (lease === 'busy') return fail('BUSY', 'A reply is still being written in this conversation. Wait for it or stop it.');
      calib = (await store.getConversation(user, conversationId))?.calib ?? 1;
    } else {
      conversationId = newId();
      const title = Array.from(text.trim().split('\n')[0]).slice(0, INITIAL_TITLE_CHARS).join('');
      created = await store.createConversation(user, conversationId, title, now, replyId, now + LEASE_MS);
      if (!created) return fail('INTERNAL', 'Could not create the conversation. Please try again.');
    }

    // The conditional put on messageId: exactly one invocation of a message goes on.
    if (!(await store.claimMessage(user, frame.messageId, { conversationId, replyId, t: now }, Math.floor(now / 1000)))) {
      if (created) await store.dropNewConversation(user, conversationId, replyId);
      else await store.releaseLease(user, conversationId, replyId);
      const claim = await store.getClaim(user, frame.messageId);
      if (claim) await out.post({ type: 'accepted', messageId: frame.messageId, conversationId: claim.conversationId, replyId: claim.replyId });
      return undefined;
    }
    await store.putTurn(user, conversationId, now, frame.messageId, text, replyId);
    if (frame.part) await deleteParts(store, user, frame.messageId, frame.part.count);
    this.telemetry.info('message accepted', { conversationId, replyId, chars: text.length, created });
    await out.post({ type: 'accepted', messageId: frame.messageId, conversationId, replyId });

    const outcome = await generateReply({ ...this.deps, clock: this.clock, telemetry: this.telemetry }, {
      user,
      conversationId,
      replyId,
      text,
      calib,
      deadline: ctx.deadline,
      replySk: messageSk(now, 1, replyId),
      userMessageSk: messageSk(now, 0, frame.messageId),
    }, out);

    if (created && (outcome.status === 'complete' || outcome.status === 'stopped') && outcome.text.trim()) {
      await this.makeTitle(user, conversationId, text, outcome.text, out);
    }
    return outcome;
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
