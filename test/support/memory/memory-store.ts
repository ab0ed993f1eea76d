/**
 * The Store port in memory, with the DynamoDB store's semantics (conditional writes, leases,
 * newest-first pages with opaque cursors refused unless they are the caller's own, expiring
 * parts): core tests run on it without dynalite, and test/core/store/store-contract.test.ts holds
 * it to the same expectations as the DynamoDB store.
 */
import { PART_TTL_SECONDS } from '../../../src/contract/protocol';
import { sameMessageLease } from '../../../src/core/domain/acceptance';
import { iso } from '../../../src/core/domain/ids';
import {
  BadCursorError, Claim, Claims, ConversationRecord, Conversations, FinalReply, InstructionsStore, LeaseResult, Messages, PartInput, Parts,
  PartSet, RateCounters, ReplyPointer, Store, StoredInstructions, StoredMessage, StorePage, TokenResult, TurnRef,
} from '../../../src/core/ports/store';

const key = (...parts: string[]) => parts.join('\u0000');

/** The opaque cursor of a page that ended at `after` within `scope`. */
const cursorOf = (scope: string, after: string) => Buffer.from(JSON.stringify({ scope, after })).toString('base64url');

/** A page of `sorted` (already in page order) after the cursor's position, within `scope`. */
function page<T>(sorted: T[], position: (item: T) => string, scope: string, limit: number, cursor?: string): StorePage<T> {
  let start = 0;
  if (cursor !== undefined) {
    let c: any;
    try { c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')); } catch { throw new BadCursorError('bad cursor'); }
    if (typeof c !== 'object' || c === null || c.scope !== scope || typeof c.after !== 'string') throw new BadCursorError('bad cursor');
    start = sorted.findIndex((item) => position(item) === c.after) + 1;
    if (start === 0) throw new BadCursorError('bad cursor');
  }
  const items = sorted.slice(start, start + limit);
  const more = start + limit < sorted.length;
  const nextCursor = more ? cursorOf(scope, position(items[items.length - 1])) : undefined;
  return { items, nextCursor };
}

class MemoryConversations implements Conversations {
  private readonly items = new Map<string, ConversationRecord>();

  public async get(user: string, conversationId: string) {
    const c = this.items.get(key(user, conversationId));
    return c && { ...c };
  }

  public async create(user: string, conversationId: string, title: string, now: number, replyId: string, leaseUntil: number) {
    if (this.items.has(key(user, conversationId))) return false;
    const at = iso(now);
    this.items.set(key(user, conversationId),
      { conversationId, title, titleAuto: true, createdAt: at, updatedAt: at, leaseReplyId: replyId, leaseUntil });
    return true;
  }

  public async acquireLease(user: string, conversationId: string, replyId: string, now: number, until: number,
    messageId?: string): Promise<LeaseResult> {
    const c = this.items.get(key(user, conversationId));
    if (!c) return 'missing';
    if (c.leaseUntil !== undefined && c.leaseUntil >= now && c.leaseReplyId !== replyId) return sameMessageLease(c, now, messageId) ?? 'busy';
    Object.assign(c, { leaseReplyId: replyId, leaseUntil: until, leaseMessageId: messageId });
    return { leased: { ...c } };
  }

  private leased(user: string, conversationId: string, replyId: string): ConversationRecord | undefined {
    const c = this.items.get(key(user, conversationId));
    return c?.leaseReplyId === replyId ? c : undefined;
  }

  public async renewLease(user: string, conversationId: string, replyId: string, until: number, modelId?: string) {
    const c = this.leased(user, conversationId, replyId);
    if (c) c.leaseUntil = until;
    if (c && modelId !== undefined) c.modelId = modelId;
    return c !== undefined;
  }

  public async finishLease(user: string, conversationId: string, replyId: string, now: number, calib?: number) {
    const c = this.leased(user, conversationId, replyId);
    if (!c) return false;
    c.updatedAt = iso(now);
    if (calib !== undefined) c.calib = calib;
    delete c.leaseReplyId;
    delete c.leaseUntil;
    return true;
  }

  public async releaseLease(user: string, conversationId: string, replyId: string) {
    const c = this.leased(user, conversationId, replyId);
    if (c) { delete c.leaseReplyId; delete c.leaseUntil; }
    return c !== undefined;
  }

  public async dropNew(user: string, conversationId: string, replyId: string) {
    if (this.leased(user, conversationId, replyId)) this.items.delete(key(user, conversationId));
  }

  public async setGeneratedTitle(user: string, conversationId: string, title: string) {
    const c = this.items.get(key(user, conversationId));
    if (!c?.titleAuto) return false;
    Object.assign(c, { title, titleAuto: false });
    return true;
  }

  public async rename(user: string, conversationId: string, title: string) {
    const c = this.items.get(key(user, conversationId));
    if (!c) return undefined;
    Object.assign(c, { title, titleAuto: false });
    return { ...c };
  }

  public async list(user: string, limit: number, cursor?: string) {
    const mine = [...this.items.entries()].filter(([k]) => k.startsWith(key(user, ''))).map(([, c]) => ({ ...c }));
    const order = (c: ConversationRecord) => `${c.updatedAt}#${c.conversationId}`;
    mine.sort((a, b) => (order(a) < order(b) ? 1 : -1));
    return page(mine, order, key('conversations', user), limit, cursor);
  }

  public async delete(user: string, conversationId: string) {
    return this.items.delete(key(user, conversationId));
  }

  public async search(user: string, match: (c: ConversationRecord) => boolean, limit: number, maxRead: number, cursor?: string) {
    const rest = (await this.list(user, Number.MAX_SAFE_INTEGER, cursor)).items;
    const after = (c: ConversationRecord) => cursorOf(key('conversations', user), `${c.updatedAt}#${c.conversationId}`);
    const items: ConversationRecord[] = [];
    const read = rest.slice(0, maxRead);
    for (let i = 0; i < read.length; i++) {
      if (match(read[i])) items.push(read[i]);
      if (items.length === limit) return { items, nextCursor: i + 1 < rest.length ? after(read[i]) : undefined };
    }
    return { items, nextCursor: read.length < rest.length ? after(read[read.length - 1]) : undefined };
  }
}

interface MessageEntry { order: string; conversationId: string; message: StoredMessage }

class MemoryMessages implements Messages {
  private static order(t: number, kind: 0 | 1, id: string): string {
    return `${String(t).padStart(13, '0')}#${kind}#${id}`;
  }

  /** Per user and conversation, by order key (time, user before reply, id). */
  private readonly conversations = new Map<string, Map<string, MessageEntry>>();
  private readonly pointers = new Map<string, ReplyPointer>();

  private of(user: string, conversationId: string): Map<string, MessageEntry> {
    const k = key(user, conversationId);
    let m = this.conversations.get(k);
    if (!m) this.conversations.set(k, m = new Map());
    return m;
  }


  private reply(user: string, turn: TurnRef): StoredMessage | undefined {
    return this.of(user, turn.conversationId).get(MemoryMessages.order(turn.t, 1, turn.replyId))?.message;
  }

  public async putTurn(user: string, turn: TurnRef, text: string, rerun = false) {
    const messages = this.of(user, turn.conversationId);
    const createdAt = iso(turn.t);
    const userOrder = MemoryMessages.order(turn.t, 0, turn.messageId);
    if (!rerun || !messages.has(userOrder)) {
      messages.set(userOrder, {
        order: userOrder,
        conversationId: turn.conversationId,
        message: { messageId: turn.messageId, role: 'user', text, status: 'complete', createdAt },
      });
    }
    const pointer = key(user, turn.replyId);
    if (!rerun || !this.pointers.has(pointer)) this.pointers.set(pointer, { conversationId: turn.conversationId, stopRequested: false });
    const replyOrder = MemoryMessages.order(turn.t, 1, turn.replyId);
    if (messages.has(replyOrder)) return false;
    const reply: StoredMessage = { messageId: turn.replyId, role: 'assistant', text: '', status: 'streaming', createdAt, checkpointAt: turn.t };
    if (turn.modelId) reply.modelId = turn.modelId;
    messages.set(replyOrder, { order: replyOrder, conversationId: turn.conversationId, message: reply });
    return true;
  }

  public async hasReply(user: string, turn: TurnRef) {
    return this.reply(user, turn) !== undefined;
  }

  public async checkpointReply(user: string, turn: TurnRef, text: string | undefined, now: number) {
    const r = this.reply(user, turn);
    if (!r) return false;
    if (text !== undefined) r.text = text;
    r.checkpointAt = now;
    return true;
  }

  public async finishReply(user: string, turn: TurnRef, final: FinalReply, now: number) {
    const r = this.reply(user, turn);
    if (!r) return false;
    Object.assign(r, { text: final.text, status: final.status, checkpointAt: now });
    if (final.stopReason) r.stopReason = final.stopReason;
    if (final.usage) r.usage = final.usage;
    return true;
  }

  public async replyPointer(user: string, replyId: string) {
    const p = this.pointers.get(key(user, replyId));
    return p && { ...p };
  }

  public async requestStop(user: string, replyId: string) {
    const p = this.pointers.get(key(user, replyId));
    if (p) p.stopRequested = true;
    return p !== undefined;
  }

  public async newestFirst(user: string, conversationId: string, limit: number, cursor?: string, upTo?: TurnRef) {
    const last = upTo && MemoryMessages.order(upTo.t, 0, upTo.messageId);
    const entries = [...this.of(user, conversationId).values()]
      .filter((e) => last === undefined || e.order <= last)
      .sort((a, b) => (a.order < b.order ? 1 : -1));
    const p = page(entries, (e) => e.order, key('messages', user, conversationId), limit, cursor);
    return { items: p.items.map((e) => ({ ...e.message })), nextCursor: p.nextCursor };
  }

  public cursorAfter(user: string, conversationId: string, message: StoredMessage) {
    const order = MemoryMessages.order(Date.parse(message.createdAt), message.role === 'user' ? 0 : 1, message.messageId);
    return cursorOf(key('messages', user, conversationId), order);
  }

  public async deleteTurn(user: string, turn: TurnRef) {
    const messages = this.of(user, turn.conversationId);
    messages.delete(MemoryMessages.order(turn.t, 0, turn.messageId));
    messages.delete(MemoryMessages.order(turn.t, 1, turn.replyId));
    this.pointers.delete(key(user, turn.replyId));
  }

  public async deleteAll(user: string, conversationId: string) {
    const messages = this.of(user, conversationId);
    const userMessages: string[] = [];
    for (const { message } of messages.values()) {
      if (message.role === 'user') userMessages.push(message.messageId);
      else this.pointers.delete(key(user, message.messageId));
    }
    this.conversations.delete(key(user, conversationId));
    return userMessages;
  }
}

class MemoryClaims implements Claims {
  private readonly items = new Map<string, Claim>();

  public async put(user: string, messageId: string, claim: Claim) {
    if (this.items.has(key(user, messageId))) return false;
    this.items.set(key(user, messageId), { ...claim, created: claim.created === true });
    return true;
  }

  public async get(user: string, messageId: string) {
    const c = this.items.get(key(user, messageId));
    return c && { ...c };
  }

  public async delete(user: string, messageIds: readonly string[]) {
    for (const id of messageIds) this.items.delete(key(user, id));
  }
}

class MemoryParts implements Parts {
  private static expiry(now: number): number {
    return Math.floor(now / 1000) + PART_TTL_SECONDS;
  }

  private readonly parts = new Map<string, Map<number, { part: PartInput; expires: number }>>();
  private readonly decided = new Map<string, number>();


  public async put(user: string, part: PartInput, now: number): Promise<PartSet> {
    const k = key(user, part.messageId);
    let set = this.parts.get(k);
    if (!set) this.parts.set(k, set = new Map());
    const kept = { ...part, ...(part.attachmentIds ? { attachmentIds: [...part.attachmentIds] } : {}) };
    set.set(part.index, { part: kept, expires: MemoryParts.expiry(now) });
    const nowSeconds = Math.floor(now / 1000);
    const live = [...set.values()].filter((p) => p.expires > nowSeconds).map((p) => p.part).sort((a, b) => a.index - b.index);
    return { decided: (this.decided.get(k) ?? -Infinity) > nowSeconds, parts: live };
  }

  public async decide(user: string, messageId: string, now: number) {
    const k = key(user, messageId);
    if (this.decided.has(k)) return false;
    this.decided.set(k, MemoryParts.expiry(now));
    return true;
  }

  public async reopen(user: string, messageId: string) {
    this.decided.delete(key(user, messageId));
  }

  public async remove(user: string, messageId: string, indexes: readonly number[]) {
    const set = this.parts.get(key(user, messageId));
    for (const i of indexes) set?.delete(i);
  }
}

class MemoryRateCounters implements RateCounters {
  private readonly minutes = new Map<string, { n: number; ids: Set<string>; bytes: number; refused: Set<string> }>();

  private minute(user: string, now: number) {
    const k = key(user, String(Math.floor(now / 60_000)));
    let m = this.minutes.get(k);
    if (!m) this.minutes.set(k, m = { n: 0, ids: new Set(), bytes: 0, refused: new Set() });
    return m;
  }

  public async take(user: string, messageId: string, now: number, limit: number): Promise<TokenResult> {
    const m = this.minute(user, now);
    if (m.ids.has(messageId)) return 'held';
    if (m.n >= limit) return 'refused';
    m.n++;
    m.ids.add(messageId);
    return 'taken';
  }

  public async count(user: string, now: number) {
    return this.minute(user, now).n;
  }

  public async takePartBytes(user: string, bytes: number, now: number, limit: number) {
    const m = this.minute(user, now);
    if (m.bytes + bytes > limit) return false;
    m.bytes += bytes;
    return true;
  }

  public async firstPartRefusal(user: string, messageId: string, now: number, cap: number) {
    const m = this.minute(user, now);
    if (m.refused.has(messageId) || m.refused.size >= cap) return false;
    m.refused.add(messageId);
    return true;
  }
}

class MemoryInstructions implements InstructionsStore {
  private readonly items = new Map<string, StoredInstructions>();

  public async get(user: string) {
    const i = this.items.get(user);
    return i && { ...i };
  }

  public async put(user: string, text: string, now: number) {
    const stored = { text, updatedAt: iso(now) };
    if (text === '') this.items.delete(user);
    else this.items.set(user, stored);
    return { ...stored };
  }
}

/** Everything in memory, one instance per test (or suite). */
export class MemoryStore implements Store {
  public readonly conversations = new MemoryConversations();
  public readonly messages = new MemoryMessages();
  public readonly claims = new MemoryClaims();
  public readonly parts = new MemoryParts();
  public readonly rates = new MemoryRateCounters();
  public readonly instructions = new MemoryInstructions();
}
