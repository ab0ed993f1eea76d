/**
 * One set of expectations, held against both stores: the in-memory store the core tests run on,
 * and the DynamoDB store (real SDK) on dynalite. What the core tests learn on the first is only
 * worth as much as this suite proves it of the second.
 */
import { PART_TTL_SECONDS } from '../../../src/contract/protocol';
import { BadCursorError, LeaseResult, Store, TurnRef } from '../../../src/core/ports/store';
import { STORE_SUBJECTS as subjects, StoreSubject as Subject } from '../../support/store-subjects';

let n = 0;
const uid = (p: string) => `${p}-${(n++).toString(36)}`.padEnd(8, 'x');
const T = 1_800_000_000_000;
const L = 30_000;

describe.each(subjects)('the store %s', (_name, make) => {
  let subject: Subject;
  let store: Store;
  beforeAll(async () => { subject = await make(); store = subject.store; });
  afterAll(async () => { await subject.close(); });

  async function conversation(user: string, replyId = uid('r'), at = T): Promise<string> {
    const id = uid('c');
    expect(await store.conversations.create(user, id, '제목', at, replyId, at + L)).toBe(true);
    return id;
  }

  /** A lease taken: the result is the conversation exactly as it is stored now. */
  async function leased(result: Promise<LeaseResult>, user: string, id: string) {
    const answer = await result;
    expect(answer).toEqual({ leased: await store.conversations.get(user, id) });
    expect(answer).toMatchObject({ leased: { conversationId: id } });
  }

  describe('conversations and their lease', () => {
    test('a conversation is created once, leased to its creating reply, and is nobody else\'s', async () => {
      const id = await conversation('u1', 'reply-one');
      expect(await store.conversations.create('u1', id, 'again', T, 'reply-two', T + L)).toBe(false);
      expect(await store.conversations.get('u1', id)).toEqual({
        conversationId: id,
        title: '제목',
        titleAuto: true,
        createdAt: new Date(T).toISOString(),
        updatedAt: new Date(T).toISOString(),
        leaseReplyId: 'reply-one',
        leaseUntil: T + L,
      });
      expect(await store.conversations.get('u2', id)).toBeUndefined();
    });

    test('the lease: busy up to its last millisecond, free after; the same reply takes it again; missing for others', async () => {
      const id = await conversation('u1', 'reply-one');
      expect(await store.conversations.acquireLease('u1', id, 'reply-two', T + L, T + 2 * L)).toBe('busy');
      await leased(store.conversations.acquireLease('u1', id, 'reply-one', T + 1, T + L + 1), 'u1', id);
      expect(await store.conversations.acquireLease('u2', id, 'reply-two', T, T + L)).toBe('missing');
      await leased(store.conversations.acquireLease('u1', id, 'reply-two', T + L + 2, T + 2 * L), 'u1', id);
      expect(await store.conversations.renewLease('u1', id, 'reply-one', T + 3 * L)).toBe(false);
      expect(await store.conversations.renewLease('u1', id, 'reply-two', T + 3 * L)).toBe(true);
      expect((await store.conversations.get('u1', id))?.leaseUntil).toBe(T + 3 * L);
    });

    test('a lease held for the same message by another reply answers that reply, not busy; only while it is live', async () => {
      const id = await conversation('u1', 'reply-one');
      expect(await store.conversations.releaseLease('u1', id, 'reply-one')).toBe(true);
      await leased(store.conversations.acquireLease('u1', id, 'reply-two', T + 1, T + L, 'msg-same'), 'u1', id);
      expect(await store.conversations.acquireLease('u1', id, 'reply-three', T + 2, T + L, 'msg-same')).toEqual({ sameMessage: { replyId: 'reply-two' } });
      expect(await store.conversations.acquireLease('u1', id, 'reply-three', T + 2, T + L, 'msg-other')).toBe('busy');
      expect(await store.conversations.acquireLease('u1', id, 'reply-three', T + 2, T + L)).toBe('busy');
      await leased(store.conversations.acquireLease('u1', id, 'reply-three', T + L + 1, T + 2 * L, 'msg-other'), 'u1', id);
      expect((await store.conversations.get('u1', id))?.leaseMessageId).toBe('msg-other');
      expect(await store.conversations.acquireLease('u1', id, 'reply-four', T + L + 2, T + 2 * L, 'msg-same')).toBe('busy');
    });

    test('finishing the lease records activity and calibration; only the holder can finish or release it', async () => {
      const id = await conversation('u1', 'reply-one');
      expect(await store.conversations.finishLease('u1', id, 'reply-two', T + 5)).toBe(false);
      expect(await store.conversations.releaseLease('u1', id, 'reply-two')).toBe(false);
      expect(await store.conversations.finishLease('u1', id, 'reply-one', T + 5, 1.5)).toBe(true);
      const c = await store.conversations.get('u1', id);
      expect(c).toMatchObject({ updatedAt: new Date(T + 5).toISOString(), calib: 1.5 });
      expect(c?.leaseUntil).toBeUndefined();
      await leased(store.conversations.acquireLease('u1', id, 'reply-three', T, T + L), 'u1', id);
      expect(await store.conversations.releaseLease('u1', id, 'reply-three')).toBe(true);
      expect((await store.conversations.get('u1', id))?.leaseReplyId).toBeUndefined();
    });

    test('an unused new conversation is dropped only by the reply it is leased to', async () => {
      const id = await conversation('u1', 'reply-one');
      await store.conversations.dropNew('u1', id, 'reply-two');
      expect(await store.conversations.get('u1', id)).toBeDefined();
      await store.conversations.dropNew('u1', id, 'reply-one');
      expect(await store.conversations.get('u1', id)).toBeUndefined();
    });

    test('the model title replaces only an automatic title; a rename is final; another user\'s rename is undefined', async () => {
      const id = await conversation('u1');
      expect(await store.conversations.setGeneratedTitle('u1', id, '모델 제목')).toBe(true);
      expect(await store.conversations.setGeneratedTitle('u1', id, '두 번째')).toBe(false);
      const other = await conversation('u1');
      expect(await store.conversations.rename('u1', other, '내 제목')).toMatchObject({ title: '내 제목', titleAuto: false });
      expect(await store.conversations.setGeneratedTitle('u1', other, '모델 제목')).toBe(false);
      expect(await store.conversations.rename('u2', other, '남의 제목')).toBeUndefined();
      expect(await store.conversations.setGeneratedTitle('u2', uid('c'), 'x')).toBe(false);
      expect((await store.conversations.get('u1', other))?.title).toBe('내 제목');
    });

    test('the list: most recently updated first, paged by a cursor that no other user or forgery can use', async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) {
        const id = await conversation('lister', 'r-lister-0', T + i);
        await store.conversations.finishLease('lister', id, 'r-lister-0', T + i * 1000);
        ids.push(id);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const p = await store.conversations.list('lister', 2, cursor);
        expect(p.items.length).toBeLessThanOrEqual(2);
        seen.push(...p.items.map((c) => c.conversationId));
        cursor = p.nextCursor;
      } while (cursor);
      expect(seen).toEqual(ids.slice().reverse());
      const first = await store.conversations.list('lister', 2);
      await expect(store.conversations.list('someone-else', 2, first.nextCursor)).rejects.toThrow(BadCursorError);
      await expect(store.conversations.list('lister', 2, 'not-a-cursor')).rejects.toThrow(BadCursorError);
      expect((await store.conversations.list('nobody', 10)).items).toEqual([]);
    });

    test('delete removes the conversation item once; false for a missing one or another user\'s', async () => {
      const id = await conversation('u1');
      expect(await store.conversations.delete('u2', id)).toBe(false);
      expect(await store.conversations.delete('u1', id)).toBe(true);
      expect(await store.conversations.delete('u1', id)).toBe(false);
    });
  });

  describe('messages, replies and stop flags', () => {
    const turn = (conversationId: string, t: number): TurnRef => ({ conversationId, t, messageId: uid('m'), replyId: uid('r') });

    test('a turn stores its user message and a streaming reply once; a second put creates nothing', async () => {
      const c = uid('c');
      const tr = turn(c, T);
      expect(await store.messages.hasReply('u1', tr)).toBe(false);
      expect(await store.messages.putTurn('u1', tr, '질문')).toBe(true);
      expect(await store.messages.putTurn('u1', tr, '질문', true)).toBe(false);
      expect(await store.messages.putTurn('u1', tr, '질문')).toBe(false);
      expect(await store.messages.hasReply('u1', tr)).toBe(true);
      const items = (await store.messages.newestFirst('u1', c, 10)).items;
      expect(items).toEqual([
        { messageId: tr.replyId, role: 'assistant', text: '', status: 'streaming', createdAt: new Date(T).toISOString(), checkpointAt: T },
        { messageId: tr.messageId, role: 'user', text: '질문', status: 'complete', createdAt: new Date(T).toISOString() },
      ]);
      expect((await store.messages.newestFirst('u2', c, 10)).items).toEqual([]);
    });

    test('checkpoints move the time (and the text when given); the final write stores status, stop reason and usage', async () => {
      const tr = turn(uid('c'), T);
      await store.messages.putTurn('u1', tr, '질문');
      expect(await store.messages.checkpointReply('u1', tr, '답의 앞', T + 1)).toBe(true);
      expect(await store.messages.checkpointReply('u1', tr, undefined, T + 2)).toBe(true);
      let reply = (await store.messages.newestFirst('u1', tr.conversationId, 1)).items[0];
      expect(reply).toMatchObject({ text: '답의 앞', status: 'streaming', checkpointAt: T + 2 });
      const usage = { inputTokens: 10, outputTokens: 3 };
      expect(await store.messages.finishReply('u1', tr, { text: '답 전체', status: 'stopped', stopReason: 'stopped', usage }, T + 3)).toBe(true);
      reply = (await store.messages.newestFirst('u1', tr.conversationId, 1)).items[0];
      expect(reply).toMatchObject({ text: '답 전체', status: 'stopped', stopReason: 'stopped', usage, checkpointAt: T + 3 });
    });

    test('a reply deleted with its conversation is never recreated by its generator', async () => {
      const tr = turn(uid('c'), T);
      await store.messages.putTurn('u1', tr, '질문');
      expect(await store.messages.deleteAll('u1', tr.conversationId)).toEqual([tr.messageId]);
      expect(await store.messages.checkpointReply('u1', tr, '늦은 글', T + 1)).toBe(false);
      expect(await store.messages.checkpointReply('u1', tr, undefined, T + 1)).toBe(false);
      expect(await store.messages.finishReply('u1', tr, { text: '늦은 글', status: 'complete' }, T + 2)).toBe(false);
      expect((await store.messages.newestFirst('u1', tr.conversationId, 10)).items).toEqual([]);
      expect(await store.messages.replyPointer('u1', tr.replyId)).toBeUndefined();
    });

    test('deleteTurn removes one turn (user message, reply, pointer) and leaves the others; a second call is harmless', async () => {
      const c = uid('c');
      const [keep, drop] = [turn(c, T), turn(c, T + 1000)];
      await store.messages.putTurn('u1', keep, '남길 질문');
      await store.messages.putTurn('u1', drop, '지울 질문');
      await store.messages.deleteTurn('u2', drop);
      expect((await store.messages.newestFirst('u1', c, 10)).items).toHaveLength(4);
      await store.messages.deleteTurn('u1', drop);
      await store.messages.deleteTurn('u1', drop);
      expect((await store.messages.newestFirst('u1', c, 10)).items.map((m) => m.messageId)).toEqual([keep.replyId, keep.messageId]);
      expect(await store.messages.replyPointer('u1', drop.replyId)).toBeUndefined();
      expect(await store.messages.replyPointer('u1', keep.replyId)).toBeDefined();
      expect(await store.messages.hasReply('u1', drop)).toBe(false);
    });

    test('the stop flag: set only on this user\'s reply, and a rerun of the turn does not clear it', async () => {
      const tr = turn(uid('c'), T);
      await store.messages.putTurn('u1', tr, '질문');
      expect(await store.messages.replyPointer('u1', tr.replyId)).toEqual({ conversationId: tr.conversationId, stopRequested: false });
      expect(await store.messages.requestStop('u2', tr.replyId)).toBe(false);
      expect(await store.messages.requestStop('u1', uid('r'))).toBe(false);
      expect(await store.messages.requestStop('u1', tr.replyId)).toBe(true);
      expect(await store.messages.putTurn('u1', tr, '질문', true)).toBe(false);
      expect(await store.messages.replyPointer('u1', tr.replyId)).toEqual({ conversationId: tr.conversationId, stopRequested: true });
    });

    test('pages walk newest first without gaps or repeats; upTo ends at a turn\'s user message; cursors are refused elsewhere', async () => {
      const c = uid('c');
      const turns = [0, 1, 2, 3].map((i) => turn(c, T + i * 1000));
      for (const tr of turns) await store.messages.putTurn('u1', tr, `q${tr.t}`);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const p = await store.messages.newestFirst('u1', c, 3, cursor);
        seen.push(...p.items.map((m) => m.messageId));
        cursor = p.nextCursor;
      } while (cursor);
      expect(seen).toEqual(turns.slice().reverse().flatMap((tr) => [tr.replyId, tr.messageId]));
      const window = await store.messages.newestFirst('u1', c, 10, undefined, turns[2]);
      expect(window.items.map((m) => m.messageId))
        .toEqual([turns[2].messageId, turns[1].replyId, turns[1].messageId, turns[0].replyId, turns[0].messageId]);
      const first = await store.messages.newestFirst('u1', c, 3);
      await expect(store.messages.newestFirst('u1', uid('c'), 3, first.nextCursor)).rejects.toThrow(BadCursorError);
      await expect(store.messages.newestFirst('u2', c, 3, first.nextCursor)).rejects.toThrow(BadCursorError);
      await expect(store.messages.newestFirst('u1', c, 3, Buffer.from('[1]').toString('base64url'))).rejects.toThrow(BadCursorError);
    });

    test('a page cut short after any of its messages continues with the next one (a user message or a reply)', async () => {
      const c = uid('c');
      const turns = [0, 1, 2].map((i) => turn(c, T + i * 1000));
      for (const tr of turns) await store.messages.putTurn('u1', tr, `q${tr.t}`);
      const all = (await store.messages.newestFirst('u1', c, 10)).items;
      expect(all).toHaveLength(6);
      for (let k = 0; k < all.length - 1; k++) {
        const next = await store.messages.newestFirst('u1', c, 2, store.messages.cursorAfter('u1', c, all[k]));
        expect([k, next.items.map((m) => m.messageId)]).toEqual([k, all.slice(k + 1, k + 3).map((m) => m.messageId)]);
      }
      await expect(store.messages.newestFirst('u2', c, 2, store.messages.cursorAfter('u1', c, all[0]))).rejects.toThrow(BadCursorError);
    });

    test('deleteAll removes every message and stop flag and answers the user messages\' ids', async () => {
      const c = uid('c');
      const turns = Array.from({ length: 30 }, (_, i) => turn(c, T + i));
      for (const tr of turns) await store.messages.putTurn('u1', tr, 'q');
      expect((await store.messages.deleteAll('u1', c)).sort()).toEqual(turns.map((tr) => tr.messageId).sort());
      expect((await store.messages.newestFirst('u1', c, 100)).items).toEqual([]);
      for (const tr of turns.slice(0, 3)) expect(await store.messages.replyPointer('u1', tr.replyId)).toBeUndefined();
    });
  });

  describe('claims', () => {
    test('a message id is claimed once per user; the claim reads back whole; delete removes it', async () => {
      const m = uid('m');
      const claim = { conversationId: uid('c'), replyId: uid('r'), t: T, text: '전체 글', created: true };
      expect(await store.claims.get('u1', m)).toBeUndefined();
      expect(await store.claims.put('u1', m, claim, T)).toBe(true);
      expect(await store.claims.put('u1', m, { ...claim, replyId: uid('r') }, T)).toBe(false);
      expect(await store.claims.get('u1', m)).toEqual(claim);
      expect(await store.claims.get('u2', m)).toBeUndefined();
      expect(await store.claims.put('u2', m, claim, T)).toBe(true);
      await store.claims.delete('u1', [m]);
      expect(await store.claims.get('u1', m)).toBeUndefined();
      expect(await store.claims.get('u2', m)).toEqual(claim);
    });

    test('a claim keeps the model it was accepted with', async () => {
      const m = uid('m');
      const claim = { conversationId: uid('c'), replyId: uid('r'), t: T, text: '글', created: false, modelId: 'amazon.nova-lite-v1:0' };
      expect(await store.claims.put('u1', m, claim, T)).toBe(true);
      expect(await store.claims.get('u1', m)).toEqual(claim);
    });
  });

  describe('models and instructions', () => {
    test('a turn\'s model is on its reply; renewing the lease with a model makes it the conversation\'s, only for the holder', async () => {
      const c = await conversation('mo1', 'reply-a');
      const tr: TurnRef = { conversationId: c, t: T, messageId: uid('m'), replyId: 'reply-a', modelId: 'model-b' };
      await store.messages.putTurn('mo1', tr, '질문');
      const [reply, user] = (await store.messages.newestFirst('mo1', c, 10)).items;
      expect(reply).toMatchObject({ role: 'assistant', modelId: 'model-b' });
      expect(user.modelId).toBeUndefined();
      expect(await store.conversations.renewLease('mo1', c, 'reply-a', T + L, 'model-b')).toBe(true);
      expect((await store.conversations.get('mo1', c))?.modelId).toBe('model-b');
      expect(await store.conversations.renewLease('mo1', c, 'reply-a', T + L)).toBe(true);
      expect((await store.conversations.get('mo1', c))?.modelId).toBe('model-b');
      expect(await store.conversations.renewLease('mo1', c, 'not-holder', T + L, 'model-c')).toBe(false);
      expect((await store.conversations.get('mo1', c))?.modelId).toBe('model-b');
      expect((await store.conversations.list('mo1', 10)).items[0].modelId).toBe('model-b');
    });

    test('instructions: none, stored per user, replaced, cleared by an empty text', async () => {
      expect(await store.instructions.get('in1')).toBeUndefined();
      expect(await store.instructions.put('in1', '존댓말', T)).toEqual({ text: '존댓말', updatedAt: new Date(T).toISOString() });
      expect(await store.instructions.get('in1')).toEqual({ text: '존댓말', updatedAt: new Date(T).toISOString() });
      expect(await store.instructions.get('in2')).toBeUndefined();
      await store.instructions.put('in1', '반말', T + 1);
      expect(await store.instructions.get('in1')).toEqual({ text: '반말', updatedAt: new Date(T + 1).toISOString() });
      expect(await store.instructions.put('in1', '', T + 2)).toEqual({ text: '', updatedAt: new Date(T + 2).toISOString() });
      expect(await store.instructions.get('in1')).toBeUndefined();
    });
  });

  describe('parts', () => {
    test('parts read back in index order; the set is decided once; reopened it can be decided again', async () => {
      const m = uid('m');
      const part = (index: number, text: string) => ({ messageId: m, index, count: 3, text, conversationId: 'conv-part-0' });
      expect(await store.parts.put('u1', part(2, '셋'), T)).toEqual({ decided: false, parts: [part(2, '셋')] });
      await store.parts.put('u1', part(0, '하나'), T);
      expect(await store.parts.put('u1', part(1, '둘'), T)).toEqual({ decided: false, parts: [part(0, '하나'), part(1, '둘'), part(2, '셋')] });
      expect(await store.parts.decide('u1', m, T)).toBe(true);
      expect(await store.parts.decide('u1', m, T)).toBe(false);
      expect((await store.parts.put('u1', part(1, '둘'), T)).decided).toBe(true);
      await store.parts.reopen('u1', m);
      expect((await store.parts.put('u1', part(1, '둘'), T)).decided).toBe(false);
      expect(await store.parts.decide('u1', m, T)).toBe(true);
      await store.parts.remove('u1', m, [0, 1]);
      expect((await store.parts.put('u1', part(2, '셋'), T)).parts).toEqual([part(2, '셋')]);
      expect((await store.parts.put('u2', part(0, '남'), T)).parts).toEqual([part(0, '남')]);
    });

    test('a part keeps its parent, model and files (in order); absent ones read back absent', async () => {
      const m = uid('m');
      const full = { messageId: m, index: 0, count: 2, text: '앞', conversationId: 'conv-part-1', parentId: 'parent-part-1', modelId: 'model-a', attachmentIds: ['file-b-0001', 'file-a-0001'] };
      const bare = { messageId: m, index: 1, count: 2, text: '뒤' };
      await store.parts.put('u1', full, T);
      expect((await store.parts.put('u1', bare, T)).parts).toEqual([full, bare]);
    });

    test(`a part expires ${PART_TTL_SECONDS} s after it arrived: live one second before, absent one second after`, async () => {
      const m = uid('m');
      const part = (index: number) => ({ messageId: m, index, count: 3, text: `${index}` });
      await store.parts.put('u1', part(0), T);
      expect((await store.parts.put('u1', part(1), T + PART_TTL_SECONDS * 1000 - 1000)).parts.map((p) => p.index)).toEqual([0, 1]);
      expect((await store.parts.put('u1', part(2), T + PART_TTL_SECONDS * 1000 + 1000)).parts.map((p) => p.index)).toEqual([1, 2]);
    });
  });

  describe('rate counters', () => {
    test('each token counts in its own minute, per user', async () => {
      const minute = Math.floor(T / 60_000) * 60_000;
      expect(await store.rates.take('r1', 'm-one', minute, 20)).toBe('taken');
      expect(await store.rates.take('r1', 'm-two', minute + 59_999, 20)).toBe('taken');
      expect(await store.rates.count('r1', minute)).toBe(2);
      expect(await store.rates.take('r2', 'm-one', minute, 20)).toBe('taken');
      expect(await store.rates.count('r2', minute)).toBe(1);
      expect(await store.rates.take('r1', 'm-three', minute + 60_000, 20)).toBe('taken');
      expect(await store.rates.count('r1', minute + 60_000)).toBe(1);
    });

    test('a message takes one token a minute however often it asks; a full minute refuses and counts nothing', async () => {
      const minute = Math.floor(T / 60_000) * 60_000 + 60_000 * 7;
      expect(await Promise.all(Array.from({ length: 10 }, () => store.rates.take('r3', 'm-same', minute, 2))))
        .toEqual(expect.arrayContaining(['taken', 'held']));
      expect(await store.rates.count('r3', minute)).toBe(1);
      expect(await store.rates.take('r3', 'm-other', minute, 2)).toBe('taken');
      expect(await store.rates.take('r3', 'm-third', minute, 2)).toBe('refused');
      expect(await store.rates.take('r3', 'm-same', minute, 2)).toBe('held');
      expect(await store.rates.count('r3', minute)).toBe(2);
      expect(await store.rates.take('r3', 'm-third', minute + 60_000, 2)).toBe('taken');
    });

    test('part bytes count up to their limit exactly; a part over it counts nothing', async () => {
      const minute = Math.floor(T / 60_000) * 60_000 + 60_000 * 9;
      expect(await store.rates.takePartBytes('r4', 99, minute, 100)).toBe(true);
      expect(await store.rates.takePartBytes('r4', 2, minute, 100)).toBe(false);
      expect(await store.rates.takePartBytes('r4', 1, minute, 100)).toBe(true);
      expect(await store.rates.takePartBytes('r4', 1, minute, 100)).toBe(false);
      expect(await store.rates.takePartBytes('r4', 101, minute + 60_000, 100)).toBe(false);
      expect(await store.rates.takePartBytes('r4', 100, minute + 60_000, 100)).toBe(true);
    });

    test('a refused message\'s parts are answered once a minute, for at most `cap` messages', async () => {
      const minute = Math.floor(T / 60_000) * 60_000 + 60_000 * 11;
      expect(await store.rates.firstPartRefusal('r5', 'm-a', minute, 2)).toBe(true);
      expect(await store.rates.firstPartRefusal('r5', 'm-a', minute, 2)).toBe(false);
      expect(await store.rates.firstPartRefusal('r5', 'm-b', minute, 2)).toBe(true);
      expect(await store.rates.firstPartRefusal('r5', 'm-c', minute, 2)).toBe(false);
      expect(await store.rates.firstPartRefusal('r5', 'm-a', minute + 60_000, 2)).toBe(true);
    });
  });
});
