import { deleteConversation } from '../../src/core/history';
import { handler } from '../../src/handlers/chat.lambda';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

const send = (user: string, conn: string, frame: object) => handler(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', ...frame })));
const tokens = (n: number) => Array.from({ length: n }, (_, i) => `토큰${i} `);

async function waitUntil(cond: () => boolean) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

async function stored(user: string, conversationId: string) {
  return (await em.store.messages.newestFirst(user, conversationId, 100)).items.reverse();
}

describe('chat handler: stop, gone, busy and other users', () => {
  test('stop ends the generation and keeps exactly what was streamed, with status stopped', async () => {
    em.brain.script = { tokens: tokens(400), intervalMs: 20 }; // 8 s if nobody stops it
    const conn = id('conn');
    const running = send('alice', conn, { messageId: id('msg'), text: '길게 말해줘' });
    const first = await em.sink.waitFor((f, c) => c === conn && f.type === 'delta');
    await handler(wsEvent('stop', 'alice', id('conn'), JSON.stringify({ action: 'stop', replyId: first.replyId })));
    await running;
    const frames = em.sink.frames(conn);
    const done = frames.find((f) => f.type === 'done');
    expect(done).toMatchObject({ replyId: first.replyId, stopReason: 'stopped' });
    const streamed = frames.filter((f) => f.type === 'delta').map((f) => f.text).join('');
    const [, reply] = await stored('alice', frames[0].conversationId);
    expect(reply.status).toBe('stopped');
    expect(reply.text).toBe(streamed);
    expect(reply.text.length).toBeLessThan(tokens(400).join('').length);
    // The model stream itself was closed, not just ignored.
    await waitUntil(() => em.brain.aborted > 0);
    // The conversation is free again: a next message is not BUSY.
    em.brain.script = { tokens: ['다음'] };
    const next = id('conn');
    await send('alice', next, { messageId: id('msg'), text: '다음', conversationId: frames[0].conversationId });
    expect(em.sink.frames(next).map((f) => f.type)).toContain('done');
  });

  test('a client gone mid-stream stops the posting, not the storing: the full reply is stored', async () => {
    const all = tokens(60);
    em.brain.script = { tokens: all, intervalMs: 2 };
    const conn = id('conn');
    em.sink.setGone(conn, 3); // accepted + two deltas, then 410
    await send('bob', conn, { messageId: id('msg'), text: '가버릴게' });
    const frames = em.sink.frames(conn);
    expect(frames).toHaveLength(3);
    const [, reply] = await stored('bob', frames[0].conversationId);
    expect(reply.status).toBe('complete');
    expect(reply.text).toBe(all.join(''));
  });

  test('a conversation deleted mid-reply ends the reply with NOT_FOUND for its sender and stores nothing back', async () => {
    em.brain.script = { tokens: tokens(400), intervalMs: 20 }; // 8 s if nothing ends it
    const conn = id('conn');
    const running = send('dana', conn, { messageId: id('msg'), text: '지울 대화' });
    const first = await em.sink.waitFor((f, c) => c === conn && f.type === 'delta');
    const { conversationId } = em.sink.frames(conn)[0];
    expect(await deleteConversation(em.store, 'dana', conversationId)).toBe(true);
    await running;
    const frames = em.sink.frames(conn);
    const last = frames[frames.length - 1];
    expect(last).toMatchObject({ type: 'error', code: 'NOT_FOUND', replyId: first.replyId, retryable: false });
    expect(frames.filter((f) => f.type === 'done')).toHaveLength(0);
    expect(await stored('dana', conversationId)).toEqual([]);
    expect(await em.store.conversations.get('dana', conversationId)).toBeUndefined();
  });

  test('a second sendMessage to a conversation that is generating gets BUSY and stores nothing', async () => {
    em.brain.script = { tokens: tokens(100), intervalMs: 10 };
    const conn = id('conn');
    const running = send('carol', conn, { messageId: id('msg'), text: '첫째' });
    const accepted = await em.sink.waitFor((f, c) => c === conn && f.type === 'accepted');
    const conn2 = id('conn');
    const busyId = id('msg');
    await send('carol', conn2, { messageId: busyId, text: '둘째', conversationId: accepted.conversationId });
    expect(em.sink.frames(conn2)).toEqual([expect.objectContaining({ type: 'error', code: 'BUSY', messageId: busyId, retryable: true })]);
    await handler(wsEvent('stop', 'carol', conn, JSON.stringify({ action: 'stop', replyId: accepted.replyId })));
    await running;
    expect((await stored('carol', accepted.conversationId)).map((m) => m.text)).not.toContain('둘째');
  });

  test("user B cannot continue or stop user A's conversation: NOT_FOUND, nothing stored", async () => {
    em.brain.script = { tokens: tokens(100), intervalMs: 10 };
    const conn = id('conn');
    const running = send('alice', conn, { messageId: id('msg'), text: 'A의 대화' });
    const accepted = await em.sink.waitFor((f, c) => c === conn && f.type === 'accepted');
    const connB = id('conn');
    const mB = id('msg');
    await send('mallory', connB, { messageId: mB, text: '끼어들기', conversationId: accepted.conversationId });
    await handler(wsEvent('stop', 'mallory', connB, JSON.stringify({ action: 'stop', replyId: accepted.replyId })));
    expect(em.sink.frames(connB)).toEqual([
      expect.objectContaining({ type: 'error', code: 'NOT_FOUND', messageId: mB }),
      expect.objectContaining({ type: 'error', code: 'NOT_FOUND', replyId: accepted.replyId }),
    ]);
    await running;
    expect(em.sink.frames(conn).find((f) => f.type === 'done')?.stopReason).toBe('end_turn');
    expect((await stored('alice', accepted.conversationId)).map((m) => m.text)).not.toContain('끼어들기');
  });

  test('bad frames get BAD_REQUEST and lose nothing already stored', async () => {
    em.brain.script = { tokens: ['보관'] };
    const conn = id('conn');
    await send('dave', conn, { messageId: id('msg'), text: '보관할 메시지' });
    const { conversationId } = em.sink.frames(conn)[0];
    const before = await stored('dave', conversationId);
    const badConn = id('conn');
    await handler(wsEvent('$default', 'dave', badConn, 'not json'));
    await handler(wsEvent('sendMessage', 'dave', badConn, JSON.stringify({ action: 'sendMessage', messageId: 'short', text: 'x' })));
    const blankId = id('msg');
    await handler(wsEvent('sendMessage', 'dave', badConn, JSON.stringify({ action: 'sendMessage', messageId: blankId, text: '   ', conversationId })));
    await handler(wsEvent('$default', 'dave', badConn, JSON.stringify({ action: 'explode' })));
    expect(em.sink.frames(badConn).map((f) => [f.type, f.code])).toEqual([
      ['error', 'BAD_REQUEST'], ['error', 'BAD_REQUEST'], ['error', 'BAD_REQUEST'], ['error', 'BAD_REQUEST'],
    ]);
    // The error names the message it answers when that message had a readable id, and only then.
    expect(em.sink.frames(badConn).map((f) => f.messageId)).toEqual([undefined, undefined, blankId, undefined]);
    expect(await stored('dave', conversationId)).toEqual(before);
  });

  test('a routed frame without a verified principal is refused and touches nothing', async () => {
    const conn = id('conn');
    await expect(handler(wsEvent('sendMessage', undefined, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: 'hi' }))))
      .resolves.toEqual({ statusCode: 401 });
    expect(em.sink.frames(conn)).toEqual([]);
  });
});
