import { utf8Bytes } from '../../src/contract/protocol';
import { realClock } from '../../src/core/adapters/clock';
import { effectiveStatus } from '../../src/core/domain/reply';
import { INTERRUPTED_AFTER_MS, LEASE_MS, MAX_REPLY_BYTES } from '../../src/core/domain/runtime-limits';
import { deleteConversation } from '../../src/core/history';
import { id } from '../support/ids';
import { chatService, MemoryRuntime, memoryRuntime, outbox } from '../support/memory/runtime';

let em: MemoryRuntime;
beforeAll(() => { em = memoryRuntime(); });

async function lastReply(user: string, conversationId: string) {
  return (await em.store.messages.newestFirst(user, conversationId, 1)).items[0];
}

describe('runtime limits at and just over their edges', () => {
  test(`a reply of exactly ${MAX_REPLY_BYTES} bytes is stored whole; one byte more is cut there with max_tokens`, async () => {
    const { service, close } = chatService(em);
    const exact = Array.from({ length: 300 }, () => 'a'.repeat(1024));
    em.brain.script = { tokens: exact };
    const c1 = id('conn');
    await service.handleFrame('big', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '길게' }), outbox(em, c1));
    const r1 = await lastReply('big', em.sink.frames(c1)[0].conversationId);
    expect(utf8Bytes(r1.text)).toBe(MAX_REPLY_BYTES);
    expect(r1).toMatchObject({ status: 'complete', stopReason: 'end_turn' });
    em.brain.script = { tokens: [...exact, 'b'] };
    const c2 = id('conn');
    await service.handleFrame('big', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '더 길게' }), outbox(em, c2));
    const r2 = await lastReply('big', em.sink.frames(c2)[0].conversationId);
    expect(utf8Bytes(r2.text)).toBe(MAX_REPLY_BYTES);
    expect(r2.text.endsWith('b')).toBe(false);
    expect(r2).toMatchObject({ status: 'complete', stopReason: 'max_tokens' });
    expect(em.sink.frames(c2).find((f) => f.type === 'done').stopReason).toBe('max_tokens');
    // Every delta frame stayed far below the 32 KiB frame limit.
    for (const f of em.sink.frames(c2)) expect(utf8Bytes(JSON.stringify(f))).toBeLessThan(32 * 1024);
    close();
  });

  test('a lease is live up to and including its expiry millisecond, free one millisecond later', async () => {
    const base = Date.now();
    const clock = { offset: 0, now: () => base + clock.offset, sleep: realClock.sleep };
    em.brain.script = { tokens: ['ok'] };
    const { service, close } = chatService(em, clock);
    const c1 = id('conn');
    await service.handleFrame('lease', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '시작' }), outbox(em, c1));
    const { conversationId } = em.sink.frames(c1)[0];
    await em.store.conversations.acquireLease('lease', conversationId, 'dead-reply-id', base, base + LEASE_MS);
    clock.offset = LEASE_MS;
    const c2 = id('conn');
    await service.handleFrame('lease', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '아직', conversationId }), outbox(em, c2));
    expect(em.sink.frames(c2)[0]).toMatchObject({ code: 'BUSY' });
    clock.offset = LEASE_MS + 1;
    const c3 = id('conn');
    await service.handleFrame('lease', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '이제', conversationId }), outbox(em, c3));
    expect(em.sink.frames(c3)[0]).toMatchObject({ type: 'accepted' });
    close();
  });

  test('a streaming reply reads as streaming at exactly 60 s without a checkpoint and interrupted 1 ms later', () => {
    const now = 1_800_000_000_000;
    expect(effectiveStatus({ status: 'streaming', checkpointAt: now - INTERRUPTED_AFTER_MS }, now)).toBe('streaming');
    expect(effectiveStatus({ status: 'streaming', checkpointAt: now - INTERRUPTED_AFTER_MS - 1 }, now)).toBe('interrupted');
    expect(effectiveStatus({ status: 'complete', checkpointAt: 0 }, now)).toBe('complete');
  });

  test('deleting a conversation while its reply streams stops the generator and nothing is recreated', async () => {
    em.brain.script = { tokens: Array.from({ length: 300 }, (_, i) => `t${i} `), intervalMs: 10 };
    const { service, close } = chatService(em);
    const conn = id('conn');
    const running = service.handleFrame('del', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '지워질 대화' }), outbox(em, conn));
    const accepted = await em.sink.waitFor((f, c) => c === conn && f.type === 'accepted');
    await em.sink.waitFor((f, c) => c === conn && f.type === 'delta');
    expect(await deleteConversation(em.store, 'del', accepted.conversationId)).toBe(true);
    await running;
    expect(await em.store.conversations.get('del', accepted.conversationId)).toBeUndefined();
    expect((await em.store.messages.newestFirst('del', accepted.conversationId, 10)).items).toEqual([]);
    expect(em.sink.frames(conn).some((f) => f.type === 'done')).toBe(false);
    close();
  });
});
