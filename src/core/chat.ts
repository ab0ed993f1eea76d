import type { ChatConfig } from './config';
import { ErrorCode, MAX_TITLE_CHARS, parseClientFrame, SendMessageFrame } from '../contract/protocol';
import { realClock } from './adapters/clock';
import { answersClaim, errorFrame, initialTitle, REFUSAL, replayable, turnOf } from './domain/acceptance';
import { newId } from './domain/ids';
import { LEASE_MS } from './domain/runtime-limits';
import { generateReply, ReplyOutcome } from './generate';
import type { Clock } from './ports/clock';
import type { Model } from './ports/model';
import type { Outbox } from './ports/outbox';
import type { Claim, Store } from './ports/store';
import { silentTelemetry, Telemetry } from './ports/telemetry';
import { cleanTitle, TITLE_SYSTEM_PROMPT, titleRequestText } from './prompts';
import { storePart } from './split-message';
import { storeTurn } from './turn';

/** What the chat service is built from. */
export interface ChatServiceDeps {
  config: ChatConfig;
  store: Store;
  model: Model;
  clock?: Clock;
  telemetry?: Telemetry;
}

/** Per-call context from the handler. */
export interface FrameContext {
  /** Epoch ms by which the invocation must have stored its result (Lambda timeout). */
  deadline?: number;
}

/** Most tokens the title call may answer with. */
const TITLE_MAX_TOKENS = 40;

/** Endings after which the conversation gets its model-made title (the user saw the answer). */
const TITLED = new Set(['finished', 'truncated', 'stopped']);

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
      await out.post(errorFrame('INTERNAL', REFUSAL.internal, ids));
    } finally {
      this.telemetry.flush();
    }
  }

  /** Sets the stop flag the generator reads; another user's reply is NOT_FOUND. */
  public async stop(user: string, replyId: string, out: Outbox): Promise<void> {
    if (!(await this.deps.store.messages.requestStop(user, replyId))) {
      await out.post(errorFrame('NOT_FOUND', REFUSAL.noReply, { replyId }));
    }
  }

  /** Accepts (or re-accepts) a message and generates its reply. */
  public async sendMessage(user: string, frame: SendMessageFrame, out: Outbox, ctx: FrameContext = {}): Promise<ReplyOutcome | undefined> {
    const { store, config } = this.deps;
    const now = this.clock.now();
    const fail = (code: ErrorCode, message: string) => this.refuse(out, code, message, frame.messageId);

    // A retry of a message already taken answers with the same ids; it only finishes a turn that
    // was never stored, and never starts a second generation.
    const existing = await store.claims.get(user, frame.messageId);
    if (existing) return this.resume(user, frame, existing, out, ctx);

    if (!frame.part) return this.acceptWhole(user, frame, frame.text, now, out, ctx);
    const part = { messageId: frame.messageId, conversationId: frame.conversationId, ...frame.part, text: frame.text };
    const r = await storePart(store.parts, user, part, now, config.limits.maxInputChars);
    if (r.state === 'error') return fail(r.error.code, r.error.message);
    if (r.state !== 'complete') return undefined; // waiting for more parts, or another invocation answers
    // Until a claim exists, a refusal (BUSY, RATE_LIMITED, a store error) must leave the set
    // completable again by the client's resend, or the resent parts would all read as taken.
    let claimed = false;
    try {
      return await this.acceptWhole(user, frame, r.text, now, out, ctx, () => { claimed = true; });
    } finally {
      if (!claimed) {
        await store.parts.reopen(user, frame.messageId)
          .catch((err) => this.telemetry.warn('reopening parts failed', { error: (err as Error).name }));
      }
    }
  }

  /** Rate limit, lease, claim, then the turn: the path of a whole (or assembled) new message. */
  private async acceptWhole(user: string, frame: SendMessageFrame, text: string, now: number, out: Outbox, ctx: FrameContext,
    onClaimed: () => void = () => {}): Promise<ReplyOutcome | undefined> {
    const { store, config } = this.deps;
    const fail = (code: ErrorCode, message: string) => this.refuse(out, code, message, frame.messageId);

    if ((await store.rates.hit(user, now)) > config.rateLimitPerMinute) {
      return fail('RATE_LIMITED', REFUSAL.rateLimited(config.rateLimitPerMinute));
    }

    const replyId = newId();
    let conversationId = frame.conversationId;
    let calib = 1;
    let created = false;
    if (conversationId) {
      const lease = await store.conversations.acquireLease(user, conversationId, replyId, now, now + LEASE_MS);
      if (lease === 'missing') return fail('NOT_FOUND', REFUSAL.noConversation);
      if (lease === 'busy') return fail('BUSY', REFUSAL.busy);
      calib = (await store.conversations.get(user, conversationId))?.calib ?? 1;
    } else {
      conversationId = newId();
      created = await store.conversations.create(user, conversationId, initialTitle(text), now, replyId, now + LEASE_MS);
      if (!created) return fail('INTERNAL', REFUSAL.notCreated);
    }

    // The conditional put on messageId: exactly one invocation of a message goes on. The claim
    // keeps the text, so a resend can store the turn if this invocation fails before it does.
    const claim = { conversationId, replyId, t: now, text, created };
    let won: boolean;
    try {
      won = await store.claims.put(user, frame.messageId, claim, now);
    } catch (err) {
      // The resend must find the conversation free, not BUSY for 30 s. Only the lease is given
      // back: the put may have happened after all, and then the resend finishes the turn in it.
      await store.conversations.releaseLease(user, conversationId, replyId).catch(() => undefined);
      throw err;
    }
    onClaimed();
    if (!won) {
      if (created) await store.conversations.dropNew(user, conversationId, replyId);
      else await store.conversations.releaseLease(user, conversationId, replyId);
      const other = await store.claims.get(user, frame.messageId);
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
    if (!answersClaim(frame.part, completedParts)) return undefined;
    const accepted = { type: 'accepted' as const, messageId: frame.messageId, conversationId: claim.conversationId, replyId: claim.replyId };
    if (!replayable(claim) || await store.messages.hasReply(user, turnOf(frame.messageId, claim))) {
      await out.post(accepted);
      return undefined;
    }
    const now = this.clock.now();
    const lease = await store.conversations.acquireLease(user, claim.conversationId, claim.replyId, now, now + LEASE_MS);
    if (lease === 'missing') return this.refuse(out, 'NOT_FOUND', REFUSAL.noConversation, frame.messageId);
    if (lease === 'busy') return this.refuse(out, 'BUSY', REFUSAL.busy, frame.messageId);
    this.telemetry.info('finishing a claimed turn', { conversationId: claim.conversationId, replyId: claim.replyId });
    const calib = (await store.conversations.get(user, claim.conversationId))?.calib ?? 1;
    return this.startTurn(user, frame.messageId, claim, calib, frame.part?.count, out, ctx, true);
  }

  /** Stores the claimed turn and, if this call created its reply, answers `accepted` and generates. */
  private async startTurn(user: string, messageId: string, claim: Claim, calib: number, partCount: number | undefined,
    out: Outbox, ctx: FrameContext, rerun = false): Promise<ReplyOutcome | undefined> {
    const { store } = this.deps;
    const turn = turnOf(messageId, claim);
    const { conversationId, replyId } = turn;
    const text = claim.text ?? '';
    const accepted = { type: 'accepted' as const, messageId, conversationId, replyId };
    const stored = await storeTurn(store, user, turn, text, rerun, () => this.clock.now());
    if (stored.state === 'exists') {
      // Another invocation created the reply and generates it (it holds the same lease).
      await out.post(accepted);
      return undefined;
    }
    if (partCount) {
      // Parts expire anyway: a failed cleanup must not fail a stored, accepted turn.
      await store.parts.remove(user, messageId, Array.from({ length: partCount }, (_, i) => i))
        .catch((err) => this.telemetry.warn('parts cleanup failed', { error: (err as Error).name }));
    }
    // Deleted (or taken over) before it was accepted: the turn removed itself, nothing is stored.
    if (stored.state === 'gone') return this.refuse(out, 'NOT_FOUND', REFUSAL.noConversation, messageId);
    if (stored.state === 'taken') return this.refuse(out, 'BUSY', REFUSAL.busy, messageId);
    this.telemetry.info('message accepted', { conversationId, replyId, chars: text.length, created: claim.created });
    await out.post(accepted);

    const outcome = await generateReply({ ...this.deps, clock: this.clock, telemetry: this.telemetry },
      { user, turn, text, calib, deadline: ctx.deadline, leaseUntil: stored.leaseUntil }, out);

    if (claim.created && TITLED.has(outcome.state) && outcome.text.trim()) {
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
    const { config, store, model } = this.deps;
    try {
      const raw = await model.once(config.titleModelId, TITLE_SYSTEM_PROMPT, titleRequestText(question, answer), TITLE_MAX_TOKENS);
      const title = cleanTitle(raw, MAX_TITLE_CHARS);
      if (title && (await store.conversations.setGeneratedTitle(user, conversationId, title))) {
        await out.post({ type: 'title', conversationId, title });
      }
    } catch (err) {
      this.telemetry.warn('title failed', { conversationId, error: (err as Error).name });
    }
  }
}

