import { AttachmentService, turnAttachment } from './attachments';
import { allowsModel, ChatConfig, modelChoice } from './config';
import { ATTACHMENT_ERRORS, AttachmentProblem, messageAttachment } from '../contract/attachments';
import { ErrorCode, MAX_TITLE_CHARS, MAX_VERSIONS, MessagePart, parseClientFrame, RegenerateFrame, SendMessageFrame, utf8Bytes } from '../contract/protocol';
import { realClock } from './adapters/clock';
import { answersClaim, errorFrame, initialTitle, REFUSAL, replayable, turnOf } from './domain/acceptance';
import { newId } from './domain/ids';
import { CLAIM_POLL_MS, CLAIM_WAIT_MS, LEASE_MS, MAX_ANSWERED_PART_REFUSALS_PER_MINUTE, PART_BYTES_PER_MESSAGE } from './domain/runtime-limits';
import { generateReply, ReplyOutcome } from './generate';
import type { AttachmentRecord } from './ports/attachments';
import type { Clock } from './ports/clock';
import type { Model } from './ports/model';
import type { Outbox } from './ports/outbox';
import { Claim, ConversationRecord, leaseTaken, Store } from './ports/store';
import { silentTelemetry, Telemetry } from './ports/telemetry';
import type { TurnPlace } from './ports/tree';
import { cleanTitle, TITLE_SYSTEM_PROMPT, titleRequestText } from './prompts';
import { refuseSet, storePart } from './split-message';
import { placeMessage, placeReply } from './tree';
import { storeTurn } from './turn';

/** What the chat service is built from. */
export interface ChatServiceDeps {
  config: ChatConfig;
  store: Store;
  model: Model;
  clock?: Clock;
  telemetry?: Telemetry;
  /** Messages' files (docs/PROTOCOL.md §15); absent: attachments are off. */
  attachments?: AttachmentService;
}

/** Per-call context from the handler. */
export interface FrameContext {
  /** Epoch ms by which the invocation must have stored its result (Lambda timeout). */
  deadline?: number;
}

/** What accepting needs of a sendMessage or a regenerate frame. */
interface Accepting {
  messageId: string;
  conversationId?: string;
  part?: MessagePart;
  parentId?: string;
  userMessageId?: string;
  modelId?: string;
  attachmentIds?: string[];
}

/** A turn's tree place, and for a regenerate the text of the user message it answers. */
interface Placed {
  place: TurnPlace;
  text?: string;
  attachmentIds?: string[];
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
      else if (frame.action === 'regenerate') await this.regenerate(user, frame, out, ctx);
      else await this.sendMessage(user, frame, out, ctx);
    } catch (err) {
      this.telemetry.error('frame failed', { action: frame.action, error: (err as Error).name, detail: (err as Error).message });
      this.telemetry.errorCode('INTERNAL');
      const ids = frame.action === 'sendMessage' || frame.action === 'regenerate' ? { messageId: frame.messageId } : frame.action === 'stop' ? { replyId: frame.replyId } : {};
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
    // A refusal before anything is stored; of a split message only its set's marker is kept, so the
    // set is answered once (by whichever part decides it) and every other part stays quiet.
    const refuseBeforeStoring = async (code: ErrorCode, message: string) => {
      if (frame.part && !(await refuseSet(store.parts, user, frame.messageId, frame.part.count, now))) return undefined;
      return fail(code, message);
    };
    // Before any read or write: a model the deployment does not allow stores and spends nothing
    // (of a split message only its set's marker, so that the set is answered once).
    if (frame.modelId !== undefined && !allowsModel(config, frame.modelId)) return refuseBeforeStoring('BAD_REQUEST', REFUSAL.unknownModel);

    // A retry of a message already taken answers with the same ids; it only finishes a turn that
    // was never stored, and never starts a second generation.
    const existing = await store.claims.get(user, frame.messageId);
    if (existing) return this.resume(user, frame, existing, out, ctx);
    // Attachments (docs/PROTOCOL.md §15): the caller's own ready files, before anything is stored;
    // every part of a split message carries them, so each is checked before it is stored, and a
    // refused set is answered once.
    if (frame.attachmentIds) {
      const a = this.deps.attachments;
      const checked = a ? await a.check(user, frame.attachmentIds, frame.conversationId) : { error: ATTACHMENT_ERRORS.disabled() };
      if ('error' in checked) return refuseBeforeStoring(checked.error.code, checked.error.message);
    }

    if (!frame.part) return this.acceptWhole(user, frame, frame.text, now, out, ctx);
    if (!(await this.partAllowed(user, frame.messageId, utf8Bytes(frame.text), now))) {
      // Once per message (not per part), so a refused 16-part message is one error frame.
      if (await store.rates.firstPartRefusal(user, frame.messageId, now, MAX_ANSWERED_PART_REFUSALS_PER_MINUTE)) {
        return fail('RATE_LIMITED', REFUSAL.rateLimited(config.rateLimitPerMinute));
      }
      return undefined;
    }
    const { messageId, conversationId, parentId, modelId, attachmentIds } = frame;
    const part = { messageId, conversationId, parentId, modelId, attachmentIds, ...frame.part, text: frame.text };
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

  /**
   * Parts are stored before their message takes its rate token, so they are limited before they
   * are stored: none while the user's minute has no message token left (checked, not taken), and
   * at most `rateLimitPerMinute × PART_BYTES_PER_MESSAGE` bytes of part text a minute.
   */
  private async partAllowed(user: string, messageId: string, bytes: number, now: number): Promise<boolean> {
    const { store, config } = this.deps;
    const limit = config.rateLimitPerMinute;
    if ((await store.rates.count(user, now)) >= limit) {
      // A part of a message that already holds its token (a resent part) is not refused here.
      return (await store.rates.take(user, messageId, now, limit)) === 'held'
        && store.rates.takePartBytes(user, bytes, now, limit * PART_BYTES_PER_MESSAGE);
    }
    return store.rates.takePartBytes(user, bytes, now, limit * PART_BYTES_PER_MESSAGE);
  }

  /**
   * Rate token, lease, claim, then the turn: the path of a whole (or assembled) new message.
   *
   * Concurrent copies of one frame (a resend racing its original) all pass the claim check
   * before any claims, and must all be answered `accepted` with the same ids, spending one rate
   * token. The token is per message (`rates.take` answers `held` to a message that already took
   * one this minute), so copies spend one token and all get the same verdict, in any order.
   * - Existing conversation: the lease is taken first, recording the message id, so a different
   *   message while a reply is generated is BUSY without spending a token. A copy that finds the
   *   lease held for its own message by another reply answers `accepted` with that reply's id:
   *   its token verdict is the holder's (taken/held, or refused for both, since one message's
   *   verdict in a minute never changes), so it never says `accepted` for a holder refused
   *   RATE_LIMITED. It then waits (bounded) for the holder's claim and answers from it, so its
   *   `accepted` comes after the turn is stored like the holder's; only a holder slower than
   *   CLAIM_WAIT_MS is answered from the lease (the holder still holds it and goes on). Should the
   *   holder's store write fail it answers INTERNAL, and a resend finds the claim or claims afresh.
   * - New conversation: each copy would create its own conversation, so the token (shared, per
   *   message) comes first; each copy creates one, the conditional claim picks one, and the others
   *   drop theirs and answer from the claim (`resume`).
   * Only a copy in the next minute that arrives before the claim exists (milliseconds) could take
   * a second token, in that minute.
   */
  private async acceptWhole(user: string, frame: Accepting, text: string, now: number, out: Outbox, ctx: FrameContext,
    onClaimed: () => void = () => {}): Promise<ReplyOutcome | undefined> {
    const { store, config } = this.deps;
    const fail = (code: ErrorCode, message: string) => this.refuse(out, code, message, frame.messageId);
    const rateLimited = () => fail('RATE_LIMITED', REFUSAL.rateLimited(config.rateLimitPerMinute));
    const token = async () => (await store.rates.take(user, frame.messageId, now, config.rateLimitPerMinute)) !== 'refused';

    const replyId = newId();
    let conversationId = frame.conversationId;
    let calib = 1;
    let created = false;
    let place: Placed | undefined;
    let modelId = frame.modelId;
    if (conversationId) {
      const lease = await store.conversations.acquireLease(user, conversationId, replyId, now, now + LEASE_MS, frame.messageId);
      if (lease === 'missing') return fail('NOT_FOUND', REFUSAL.noConversation);
      if (lease === 'busy') {
        // The lease of a copy of this message may have ended (its turn done) since the claim check.
        const late = await store.claims.get(user, frame.messageId);
        return late ? this.resume(user, frame, late, out, ctx, true) : fail('BUSY', REFUSAL.busy);
      }
      if (!leaseTaken(lease)) {
        if (!(await token())) return rateLimited();
        // `accepted` means stored: answer from the holder's claim once it exists (resume, which
        // also finishes the turn should the holder stop short of it), else from the lease.
        const claim = await this.awaitClaim(user, frame.messageId);
        if (claim) return this.resume(user, frame, claim, out, ctx, true);
        modelId ??= (await store.conversations.get(user, conversationId))?.modelId;
        const model = modelChoice(config, modelId).modelId;
        await out.post({ type: 'accepted', messageId: frame.messageId, conversationId, replyId: lease.sameMessage.replyId, modelId: model });
        return undefined;
      }
      // The conversation as the lease left it (the taking write answers it: no read).
      const conversation = lease.leased;
      // Where it goes on the tree is checked before a token is spent: a bad parent stores nothing.
      const placed = await this.place(user, conversationId, conversation, false, frame);
      if (typeof placed === 'string') {
        await store.conversations.releaseLease(user, conversationId, replyId);
        return fail(placed === 'full' ? 'TOO_LARGE' : 'NOT_FOUND', placed === 'full' ? REFUSAL.tooManyVersions(MAX_VERSIONS) : REFUSAL.noMessage);
      }
      if (!(await token())) {
        await store.conversations.releaseLease(user, conversationId, replyId);
        return rateLimited();
      }
      calib = conversation?.calib ?? 1;
      place = placed;
      modelId ??= conversation?.modelId;
    } else {
      if (!(await token())) return rateLimited();
      conversationId = newId();
      created = await store.conversations.create(user, conversationId, initialTitle(text), now, replyId, now + LEASE_MS);
      if (!created) return fail('INTERNAL', REFUSAL.notCreated);
      place = await this.place(user, conversationId, undefined, true, frame) as Placed | undefined;
    }

    // The conditional put on messageId: exactly one invocation of a message goes on. The claim
    // keeps the text, so a resend can store the turn if this invocation fails before it does.
    // A regenerate answers with the files of the user message it answers.
    const attachmentIds = frame.attachmentIds ?? place?.attachmentIds;
    const claim: Claim = {
      conversationId,
      replyId,
      t: now,
      text: place?.text ?? text,
      created,
      modelId: modelChoice(config, modelId).modelId,
      ...(place ? { tree: place.place } : {}),
      ...(frame.userMessageId ? { userMessageId: frame.userMessageId } : {}),
      ...(attachmentIds ? { attachmentIds } : {}),
    };
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

  /** The claim of `messageId`, read every CLAIM_POLL_MS for at most CLAIM_WAIT_MS until it exists. */
  private async awaitClaim(user: string, messageId: string): Promise<Claim | undefined> {
    for (let waited = 0; ; waited += CLAIM_POLL_MS) {
      const claim = await this.deps.store.claims.get(user, messageId);
      if (claim || waited >= CLAIM_WAIT_MS) return claim;
      await this.clock.sleep(CLAIM_POLL_MS);
    }
  }

  /**
   * A message whose claim exists: answer `accepted` with its ids. When the reply it promised was
   * never stored (the store kept refusing, or the claiming invocation died between its writes),
   * take the lease again for the same reply and store the turn from the claim; the reply's
   * conditional put lets exactly one of any concurrent resends (or a still-running first
   * invocation) generate.
   */
  private async resume(user: string, frame: Accepting, claim: Claim, out: Outbox, ctx: FrameContext,
    completedParts = false): Promise<ReplyOutcome | undefined> {
    const { store } = this.deps;
    if (!answersClaim(frame.part, completedParts)) return undefined;
    const modelId = modelChoice(this.deps.config, claim.modelId).modelId;
    const accepted = { type: 'accepted' as const, messageId: frame.messageId, conversationId: claim.conversationId, replyId: claim.replyId, modelId };
    if (!replayable(claim) || await store.messages.hasReply(user, turnOf(frame.messageId, claim))) {
      await out.post(accepted);
      return undefined;
    }
    const now = this.clock.now();
    const lease = await store.conversations.acquireLease(user, claim.conversationId, claim.replyId, now, now + LEASE_MS, frame.messageId);
    if (lease === 'missing') return this.refuse(out, 'NOT_FOUND', REFUSAL.noConversation, frame.messageId);
    if (!leaseTaken(lease)) return this.refuse(out, 'BUSY', REFUSAL.busy, frame.messageId);
    this.telemetry.info('finishing a claimed turn', { conversationId: claim.conversationId, replyId: claim.replyId });
    const calib = lease.leased.calib ?? 1;
    return this.startTurn(user, frame.messageId, claim, calib, frame.part?.count, out, ctx, true);
  }

  /** Stores the claimed turn and, if this call created its reply, answers `accepted` and generates. */
  private async startTurn(user: string, messageId: string, claim: Claim, calib: number, partCount: number | undefined,
    out: Outbox, ctx: FrameContext, rerun = false): Promise<ReplyOutcome | undefined> {
    const { store } = this.deps;
    // A claim from before models were kept is finished with the default model.
    const turn = { ...turnOf(messageId, claim), modelId: modelChoice(this.deps.config, claim.modelId).modelId };
    const { conversationId, replyId, modelId } = turn;
    const text = claim.text ?? '';
    const accepted = { type: 'accepted' as const, messageId, conversationId, replyId, modelId };
    // Files are bound to the user message before it is stored (a resend binds them again).
    const files = claim.attachmentIds ? await this.bindFiles(user, claim, turn.messageId) : undefined;
    if (files && 'error' in files) {
      if (partCount) await this.dropParts(user, messageId, partCount);
      await store.claims.delete(user, [messageId]);
      if (claim.created) await store.conversations.dropNew(user, conversationId, replyId);
      else await store.conversations.releaseLease(user, conversationId, replyId);
      return this.refuse(out, files.error.code as ErrorCode, files.error.message, messageId);
    }
    if (files) turn.attachments = files.records.map(messageAttachment);
    // Read before the turn is stored: should the bucket fail, a resend finishes the claimed turn.
    const loaded = files ? (await this.deps.attachments!.load(user, files.records)).map(turnAttachment) : undefined;
    const stored = await storeTurn(store, user, turn, text, rerun, () => this.clock.now());
    if (stored.state === 'exists') {
      // Another invocation created the reply and generates it (it holds the same lease).
      await out.post(accepted);
      return undefined;
    }
    if (partCount) await this.dropParts(user, messageId, partCount);
    // Deleted (or taken over) before it was accepted: the turn removed itself, nothing is stored.
    if (stored.state === 'gone') return this.refuse(out, 'NOT_FOUND', REFUSAL.noConversation, messageId);
    if (stored.state === 'taken') return this.refuse(out, 'BUSY', REFUSAL.busy, messageId);
    this.telemetry.info('message accepted', { conversationId, replyId, chars: text.length, created: claim.created });
    await out.post(accepted);

    const outcome = await generateReply({ ...this.deps, clock: this.clock, telemetry: this.telemetry },
      { user, turn, text, calib, deadline: ctx.deadline, leaseUntil: stored.leaseUntil, ...(loaded ? { files: loaded } : {}) }, out);

    if (claim.created && TITLED.has(outcome.state) && outcome.text.trim()) {
      await this.makeTitle(user, conversationId, text, outcome.text, out);
    }
    return outcome;
  }

  /**
   * Answers a user message again (PROTOCOL §13): accepted like a message (idempotent by its
   * `messageId`, BUSY while the conversation generates, rate-limited), its turn a new reply of
   * that user message.
   */
  public async regenerate(user: string, frame: RegenerateFrame, out: Outbox, ctx: FrameContext = {}): Promise<ReplyOutcome | undefined> {
    const { store, config } = this.deps;
    if (frame.modelId !== undefined && !allowsModel(config, frame.modelId)) {
      return this.refuse(out, 'BAD_REQUEST', REFUSAL.unknownModel, frame.messageId);
    }
    const existing = await store.claims.get(user, frame.messageId);
    if (existing) return this.resume(user, frame, existing, out, ctx);
    if (!store.tree) return this.refuse(out, 'BAD_REQUEST', REFUSAL.noMessage, frame.messageId);
    return this.acceptWhole(user, frame, '', this.clock.now(), out, ctx);
  }

  /**
   * The tree place of an accepted message: after its `parentId` (or the active leaf), or for a
   * regenerate below its user message (whose text it answers). Undefined: the store keeps no tree.
   */
  private async place(user: string, conversationId: string, conversation: ConversationRecord | undefined, created: boolean,
    frame: Accepting): Promise<Placed | 'missing' | 'full' | undefined> {
    const tree = this.deps.store.tree;
    if (!tree) return frame.parentId !== undefined || frame.userMessageId !== undefined ? 'missing' : undefined;
    if (frame.userMessageId !== undefined) return placeReply(tree, user, conversationId, frame.userMessageId);
    const place = await placeMessage(tree, user, conversationId, conversation?.tree, created, frame.parentId);
    return typeof place === 'string' ? place : { place };
  }

  /** A claimed message's files, checked again (still the user's, ready, of no other conversation) and bound to it. */
  private async bindFiles(user: string, claim: Claim, messageId: string): Promise<{ records: AttachmentRecord[] } | { error: AttachmentProblem }> {
    const a = this.deps.attachments;
    if (!a) return { error: ATTACHMENT_ERRORS.disabled() };
    const checked = await a.check(user, claim.attachmentIds!, claim.conversationId);
    if ('error' in checked) return checked;
    return (await a.use(user, checked.records, claim.conversationId, messageId)) ? checked : { error: ATTACHMENT_ERRORS.notFound() };
  }

  /** Removes a split message's parts; they expire anyway, so a failed cleanup fails nothing. */
  private async dropParts(user: string, messageId: string, count: number): Promise<void> {
    await this.deps.store.parts.remove(user, messageId, Array.from({ length: count }, (_, i) => i))
      .catch((err) => this.telemetry.warn('parts cleanup failed', { error: (err as Error).name }));
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

