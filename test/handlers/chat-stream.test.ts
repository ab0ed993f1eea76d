import { handler } from '../../src/handlers/chat.lambda';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

const KOREAN_TOKENS = ['안녕하세요', '! 저는 ', '한국어로 ', '답하는 ', '챗봇', '입니다. ', '무엇을 ', '도와', '드릴까요', '?'];

async function messagesOf(user: string, conversationId: string) {
  return (await em.store.messages.newestFirst(user, conversationId, 100)).items.reverse();
}

describe('chat handler: streaming a reply', () => {
  test('a Korean message is accepted, streamed in order as non-cumulative deltas, and stored equal to their concatenation', async () => {
    em.brain.script = { tokens: KOREAN_TOKENS, usage: { inputTokens: 42, outputTokens: 10 } };
    const conn = id('conn');
    const messageId = id('msg');
    await handler(wsEvent('sendMessage', 'alice', conn, JSON.stringify({ action: 'sendMessage', messageId, text: '안녕? 자기소개 해줘' })));
    const frames = em.sink.frames(conn);
    expect(frames[0]).toMatchObject({ type: 'accepted', messageId });
    const { conversationId, replyId } = frames[0];
    const deltas = frames.filter((f) => f.type === 'delta');
    expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i));
    expect(deltas.every((d) => d.replyId === replyId)).toBe(true);
    const streamed = deltas.map((d) => d.text).join('');
    expect(streamed).toBe(KOREAN_TOKENS.join(''));
    // Never cumulative: no delta repeats the text that came before it.
    let sofar = '';
    for (const d of deltas) {
      if (sofar) expect(d.text.startsWith(sofar)).toBe(false);
      sofar += d.text;
    }
    const done = frames.find((f) => f.type === 'done');
    expect(done).toEqual({ type: 'done', replyId, conversationId, stopReason: 'end_turn', usage: { inputTokens: 42, outputTokens: 10 } });
    expect(frames.indexOf(done)).toBeGreaterThan(frames.indexOf(deltas.at(-1)));
    const stored = await messagesOf('alice', conversationId);
    expect(stored.map((m) => [m.role, m.messageId, m.status])).toEqual([['user', messageId, 'complete'], ['assistant', replyId, 'complete']]);
    expect(stored[0].text).toBe('안녕? 자기소개 해줘');
    expect(stored[1].text).toBe(streamed);
    expect(stored[1].usage).toEqual({ inputTokens: 42, outputTokens: 10 });
  });

  test('the first answer of a conversation gets a model-made title, stored and sent as a title frame', async () => {
    em.brain.script = { tokens: ['짧은 ', '답'], title: '"인사와 자기소개."' };
    const conn = id('conn');
    await handler(wsEvent('sendMessage', 'alice', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '안녕' })));
    const frames = em.sink.frames(conn);
    const title = frames.find((f) => f.type === 'title');
    expect(title).toEqual({ type: 'title', conversationId: frames[0].conversationId, title: '인사와 자기소개' });
    expect((await em.store.conversations.get('alice', frames[0].conversationId))?.title).toBe('인사와 자기소개');
    // The title call is a non-streaming Converse request.
    expect(em.brain.requests.at(-1)!.streaming).toBe(false);
  });

  test('a retried sendMessage never duplicates the user message nor starts a second generation', async () => {
    em.brain.script = { tokens: ['한 ', '번만'] };
    const conn = id('conn');
    const frame = JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '한 번만 답해' });
    await handler(wsEvent('sendMessage', 'bob', conn, frame));
    const calls = em.brain.requests.filter((r) => r.streaming).length;
    await handler(wsEvent('sendMessage', 'bob', conn, frame));
    const accepted = em.sink.frames(conn).filter((f) => f.type === 'accepted');
    expect(accepted).toHaveLength(2);
    expect(accepted[1]).toEqual(accepted[0]);
    expect(em.brain.requests.filter((r) => r.streaming).length).toBe(calls);
    const stored = await messagesOf('bob', accepted[0].conversationId);
    expect(stored.filter((m) => m.role === 'user')).toHaveLength(1);
    expect(stored).toHaveLength(2);
  });

  test('the async integration delivers body as an object and it is handled like a string body', async () => {
    em.brain.script = { tokens: ['ok'] };
    const conn = id('conn');
    const messageId = id('msg');
    await handler(wsEvent('sendMessage', 'carol', conn, { action: 'sendMessage', messageId, text: 'object body' }));
    const frames = em.sink.frames(conn);
    expect(frames[0]).toMatchObject({ type: 'accepted', messageId });
    expect(frames.find((f) => f.type === 'done')).toBeDefined();
  });

  test('a follow-up in the same conversation sends the earlier turns as context', async () => {
    em.brain.script = { tokens: ['첫 답'] };
    const conn = id('conn');
    await handler(wsEvent('sendMessage', 'dave', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '첫 질문' })));
    const conversationId = em.sink.frames(conn)[0].conversationId;
    em.brain.script = { tokens: ['둘째 답'] };
    await handler(wsEvent('sendMessage', 'dave', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '둘째 질문', conversationId })));
    const req = em.brain.requests.filter((r) => r.streaming).at(-1)!;
    expect(req.messages.map((m) => [m.role, m.content[0].text])).toEqual([['user', '첫 질문'], ['assistant', '첫 답'], ['user', '둘째 질문']]);
    expect(req.system[0]).toMatch(/사용자가 쓴 언어로/);
  });

  test('ping is answered by pong; $connect and $disconnect answer 200', async () => {
    const conn = id('conn');
    await expect(handler(wsEvent('ping', 'erin', conn, '{"action":"ping"}'))).resolves.toEqual({ statusCode: 200 });
    expect(em.sink.frames(conn)).toEqual([{ type: 'pong' }]);
    await expect(handler(wsEvent('$connect', 'erin', conn))).resolves.toEqual({ statusCode: 200 });
    await expect(handler(wsEvent('$disconnect', 'erin', conn))).resolves.toEqual({ statusCode: 200 });
  });
});
