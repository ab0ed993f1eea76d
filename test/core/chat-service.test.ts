import { realClock } from '../../src/core/adapters/clock';
import { effectiveStatus } from '../../src/core/domain/reply';
import { INTERRUPTED_AFTER_MS, LEASE_MS, MODEL_ATTEMPTS } from '../../src/core/domain/runtime-limits';
import { estimateTokens } from '../../src/core/domain/window';
import { loadWindow } from '../../src/core/generate';
import type { Clock } from '../../src/core/ports/clock';
import { id } from '../support/ids';
import { chatService, MemoryRuntime, memoryRuntime, outbox } from '../support/memory/runtime';
import { VirtualClock } from '../support/virtual-clock';

let em: MemoryRuntime;
beforeAll(() => { em = memoryRuntime(); });

const tokens = (n: number) => Array.from({ length: n }, (_, i) => `조각${i} `);

/** The wall clock shifted by `offset` ms (to step past a lease without waiting). */
function shiftedClock(): Clock & { offset: number } {
  const c = { offset: 0, now: () => Date.now() + c.offset, sleep: realClock.sleep };
  return c;
}

describe('chat service with model time', () => {
  test('29 s is no limit: a reply taking 60 s of model time completes, checkpointed and holding its lease throughout', async () => {
    const clock = new VirtualClock();
    const all = tokens(600);
    em.brain.script = { tokens: all, intervalMs: 100, clock }; // 60 s of model time
    const { service, close } = chatService(em, clock);
    const conn = id('conn');
    const started = clock.now();
    const running = service.handleFrame('long', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '아주 길게' }), outbox(em, conn));
    // Past 30 s of model time (the lease length) the conversation is still leased: renewals kept it.
    await clock.advanceTo(started + LEASE_MS + 2_000);
    const accepted = em.sink.frames(conn)[0];
    expect(accepted).toMatchObject({ type: 'accepted' });
    const mid = (await em.store.messages.newestFirst('long', accepted.conversationId, 1)).items[0];
    expect(mid.status).toBe('streaming');
    const c2 = id('conn');
    await clock.run(service.handleFrame('long', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '끼어들기', conversationId: accepted.conversationId }), outbox(em, c2)));
    expect(em.sink.frames(c2)[0]).toMatchObject({ type: 'error', code: 'BUSY' });
    await clock.run(running);
    expect(clock.now() - started).toBeGreaterThanOrEqual(59_900);
    const done = em.sink.frames(conn).find((f) => f.type === 'done');
    expect(done).toMatchObject({ stopReason: 'end_turn' });
    const reply = (await em.store.messages.newestFirst('long', accepted.conversationId, 1)).items[0];
    expect(reply).toMatchObject({ status: 'complete', text: all.join('') });
    // The checkpoint seen mid-way was a non-empty prefix of the final text.
    expect(mid.text.length).toBeGreaterThan(0);
    expect(all.join('').startsWith(mid.text)).toBe(true);
    expect(mid.text.length).toBeLessThan(reply.text.length);
    close();
  });

  test(`throttling on every attempt gives MODEL_THROTTLED after ${MODEL_ATTEMPTS} attempts, and frees the conversation`, async () => {
    const clock = new VirtualClock();
    em.brain.script = { throttleFirst: 100, clock };
    const before = em.brain.requests.length;
    const { service, close } = chatService(em, clock);
    const conn = id('conn');
    await clock.run(service.handleFrame('thr', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '바쁜 모델' }), outbox(em, conn)));
    const frames = em.sink.frames(conn);
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'MODEL_THROTTLED', retryable: true, replyId: frames[0].replyId });
    expect(em.brain.requests.length - before).toBe(MODEL_ATTEMPTS);
    const reply = (await em.store.messages.newestFirst('thr', frames[0].conversationId, 1)).items[0];
    expect(reply.status).toBe('error');
    em.brain.script = { tokens: ['이제 됨'] };
    const c2 = id('conn');
    await service.handleFrame('thr', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '다시', conversationId: frames[0].conversationId }), outbox(em, c2));
    expect(em.sink.frames(c2).at(-1)).toMatchObject({ type: 'done' });
    close();
  });

  test('the rate limit allows exactly N messages a minute per user; message N+1 is RATE_LIMITED and stores nothing', async () => {
    const minuteStart = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
    const clock: Clock = { now: () => minuteStart + 1_000, sleep: realClock.sleep };
    em.brain.script = { tokens: ['ok'] };
    const { service, close } = chatService(em, clock, { rateLimitPerMinute: 3 });
    const results: string[] = [];
    const lastId = id('msg');
    for (let i = 0; i < 4; i++) {
      const conn = id('conn');
      await service.handleFrame('rl', JSON.stringify({ action: 'sendMessage', messageId: i === 3 ? lastId : id('msg'), text: `메시지 ${i}` }), outbox(em, conn));
      results.push(em.sink.frames(conn).at(-1).type === 'error' ? em.sink.frames(conn).at(-1).code : 'ok');
    }
    expect(results).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
    expect(await em.store.claims.get('rl', lastId)).toBeUndefined();
    // Another user is not affected.
    const other = id('conn');
    await service.handleFrame('rl-other', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: 'hi' }), outbox(em, other));
    expect(em.sink.frames(other)[0].type).toBe('accepted');
    close();
  });

  test('a lease left by a crashed generator blocks the conversation only until it expires', async () => {
    const clock = shiftedClock();
    em.brain.script = { tokens: ['첫'] };
    const { service, close } = chatService(em, clock);
    const c1 = id('conn');
    await service.handleFrame('crash', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '시작' }), outbox(em, c1));
    const { conversationId } = em.sink.frames(c1)[0];
    // A generator that took the lease and died.
    expect(await em.store.conversations.acquireLease('crash', conversationId, 'dead-reply-id', clock.now(), clock.now() + LEASE_MS)).toMatchObject({ leased: { leaseReplyId: 'dead-reply-id' } });
    const c2 = id('conn');
    await service.handleFrame('crash', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '막힘?', conversationId }), outbox(em, c2));
    expect(em.sink.frames(c2)[0]).toMatchObject({ code: 'BUSY' });
    clock.offset = LEASE_MS + 1;
    const c3 = id('conn');
    await service.handleFrame('crash', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '풀림', conversationId }), outbox(em, c3));
    expect(em.sink.frames(c3).at(-1)).toMatchObject({ type: 'done' });
    close();
  });

  test('a generator near its invocation deadline stores what it has as interrupted and says so', async () => {
    const clock = new VirtualClock();
    em.brain.script = { tokens: tokens(1000), intervalMs: 100, clock };
    const { service, close } = chatService(em, clock);
    const conn = id('conn');
    await clock.run(service.handleFrame('dl', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '끝없이' }), outbox(em, conn), { deadline: clock.now() + 15_000 }));
    const frames = em.sink.frames(conn);
    expect(frames.at(-1)).toMatchObject({ type: 'done', stopReason: 'interrupted' });
    const reply = (await em.store.messages.newestFirst('dl', frames[0].conversationId, 1)).items[0];
    expect(reply.status).toBe('interrupted');
    expect(reply.text).toBe(frames.filter((f) => f.type === 'delta').map((f) => f.text).join(''));
    expect(reply.text.length).toBeGreaterThan(0);
    close();
  });

  test('a live generator whose model is silent for longer than the interrupted threshold still reads as streaming', async () => {
    const clock = new VirtualClock();
    // 120 s of model time before the first token: well past INTERRUPTED_AFTER_MS with nothing new to store.
    em.brain.script = { tokens: ['늦은 ', '답'], firstTokenDelayMs: INTERRUPTED_AFTER_MS + 60_000, clock };
    const { service, close } = chatService(em, clock);
    const conn = id('conn');
    const started = clock.now();
    const running = service.handleFrame('quiet', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '천천히' }), outbox(em, conn));
    await clock.advanceTo(started + INTERRUPTED_AFTER_MS + 5_000);
    const accepted = em.sink.frames(conn)[0];
    const mid = (await em.store.messages.newestFirst('quiet', accepted.conversationId, 1)).items[0];
    expect([mid.text, effectiveStatus(mid, clock.now())]).toEqual(['', 'streaming']);
    await clock.run(running);
    const reply = (await em.store.messages.newestFirst('quiet', accepted.conversationId, 1)).items[0];
    expect([reply.text, reply.status]).toEqual(['늦은 답', 'complete']);
    close();
  });

  test('the window sent to the model is bounded by the token budget and alternates from a user turn', async () => {
    em.brain.script = { tokens: ['ok'] };
    const { service, close } = chatService(em, undefined, { historyTokenBudget: 3000 });
    const c1 = id('conn');
    await service.handleFrame('win', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '시작' }), outbox(em, c1));
    const { conversationId } = em.sink.frames(c1)[0];
    // 60 old turns of ~500 tokens each.
    const t0 = Date.now() - 3_600_000;
    for (let i = 0; i < 60; i++) {
      const replyId = id('r');
      const turn = { conversationId, t: t0 + i * 1000, messageId: id('m'), replyId };
      await em.store.messages.putTurn('win', turn, `질문${i} ` + '가'.repeat(245));
      await em.store.messages.finishReply('win', turn, { text: `답${i} ` + '나'.repeat(245), status: 'complete' }, t0);
    }
    const calib = (await em.store.conversations.get('win', conversationId))!.calib ?? 1;
    const c2 = id('conn');
    await service.handleFrame('win', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '마지막 질문', conversationId }), outbox(em, c2));
    const sent = em.brain.requests.filter((r) => r.streaming).at(-1)!.messages.map((m) => m.content[0].text ?? '');
    expect(sent.at(-1)).toBe('마지막 질문');
    sent.forEach((_, i) => expect(em.brain.requests.filter((r) => r.streaming).at(-1)!.messages[i].role).toBe(i % 2 === 0 ? 'user' : 'assistant'));
    // The newest turns are kept: the window ends with the conversation's first (newest) turn, '시작'.
    expect(sent.at(-3)).toBe('시작');
    // Within budget, and one more (older, ~500-token) turn would not have fitted.
    const cost = (texts: string[]) => texts.reduce((n, t) => n + estimateTokens(t), 0) * calib;
    const history = sent.slice(0, -1);
    const room = 3000 - Math.ceil(estimateTokens('마지막 질문') * calib);
    expect(cost(history)).toBeLessThanOrEqual(room);
    expect(cost(history) + 500 * calib).toBeGreaterThan(room);
    expect(history.length).toBeLessThan(40);
    close();
  });

  test('the new message takes its calibrated share of the budget: with calibration 2 the window shrinks by twice its estimate', async () => {
    const user = 'calib';
    const conversationId = id('conv');
    const t0 = Date.now() - 60_000;
    expect(await em.store.conversations.create(user, conversationId, 't', t0, id('r'), t0)).toBe(true);
    // Four old turns, each 100 + 100 estimated tokens (400 once calibrated by 2).
    for (let i = 0; i < 4; i++) {
      const replyId = id('r');
      const t = t0 + i * 1000;
      const turn = { conversationId, t, messageId: id('m'), replyId };
      await em.store.messages.putTurn(user, turn, `${i}`.padEnd(96, '가'));
      await em.store.messages.finishReply(user, turn, { text: '나'.repeat(96), status: 'complete' }, t);
    }
    const own = '다'.repeat(796); // 800 estimated, 1600 calibrated
    const t = t0 + 10_000;
    const messageId = id('m');
    const replyId = id('r');
    const turn = { conversationId, t, messageId, replyId };
    await em.store.messages.putTurn(user, turn, own);
    const job = { user, turn, text: own, calib: 2 };
    // 2400 = 1600 for the new message + two calibrated turns of 400.
    const { turns } = await loadWindow(em.store.messages, job, 2400);
    expect(turns.map((x) => x.text.slice(0, 1))).toEqual(['2', '나', '3', '나', '다']);
  });

  test("the model title never replaces a user's rename", async () => {
    em.brain.script = { tokens: ['답'], title: '모델 제목', firstTokenDelayMs: 300 };
    const { service, close } = chatService(em);
    const conn = id('conn');
    // Rename lands before the title call: the conversation is renamed between accept and title.
    const renameFirst = service.handleFrame('ttl', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '제목 테스트' }), outbox(em, conn));
    const accepted = await em.sink.waitFor((f, c) => c === conn && f.type === 'accepted');
    await em.store.conversations.rename('ttl', accepted.conversationId, '내가 정한 제목');
    await renameFirst;
    expect((await em.store.conversations.get('ttl', accepted.conversationId))?.title).toBe('내가 정한 제목');
    expect(em.sink.frames(conn).some((f) => f.type === 'title')).toBe(false);
    close();
  });
});
