import { buildSendFrames, utf8Bytes } from '../../src/contract/protocol';
import { handler } from '../../src/handlers/chat.lambda';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

const raw = (user: string, conn: string, body: string) => handler(wsEvent('sendMessage', user, conn, body));

/** A single sendMessage frame of exactly `bytes` UTF-8 bytes, filled with Hangul (3 bytes) and padded with ASCII. */
function frameOfBytes(messageId: string, bytes: number): string {
  const envelope = JSON.stringify({ action: 'sendMessage', messageId, text: '' });
  const room = bytes - utf8Bytes(envelope);
  const text = '한'.repeat(Math.floor(room / 3)) + 'a'.repeat(room % 3);
  const frame = JSON.stringify({ action: 'sendMessage', messageId, text });
  expect(utf8Bytes(frame)).toBe(bytes);
  return frame;
}

async function userMessages(user: string, conversationId: string) {
  return (await em.store.messages.newestFirst(user, conversationId, 100)).items.filter((m) => m.role === 'user');
}

describe('chat handler: limits in UTF-8 bytes and split messages', () => {
  beforeEach(() => { em.brain.script = { tokens: ['네'] }; });

  test('a frame of exactly 32768 bytes of Hangul is accepted; 32769 bytes is TOO_LARGE and stores nothing', async () => {
    const conn = id('conn');
    const okId = id('msg');
    await raw('lim', conn, frameOfBytes(okId, 32768));
    const accepted = em.sink.frames(conn)[0];
    expect(accepted).toMatchObject({ type: 'accepted', messageId: okId });
    const overConn = id('conn');
    const overId = id('msg');
    await raw('lim', overConn, frameOfBytes(overId, 32769));
    expect(em.sink.frames(overConn)).toEqual([expect.objectContaining({ type: 'error', code: 'TOO_LARGE', messageId: overId })]);
    expect(await em.store.claims.get('lim', overId)).toBeUndefined();
  });

  test('a text of exactly 16,000 characters is accepted; 16,001 is TOO_LARGE', async () => {
    const conn = id('conn');
    await raw('lim2', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: 'a'.repeat(16_000) }));
    expect(em.sink.frames(conn)[0].type).toBe('accepted');
    const over = id('conn');
    await raw('lim2', over, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: 'a'.repeat(16_001) }));
    expect(em.sink.frames(over)).toEqual([expect.objectContaining({ code: 'TOO_LARGE' })]);
  });

  test('a 16,000-character Korean message sent in parts, out of order and concurrently, arrives whole and is answered once', async () => {
    const text = Array.from({ length: 16_000 }, (_, i) => String.fromCharCode(0xac00 + (i % 11172))).join('');
    const messageId = id('msg');
    const frames = buildSendFrames({ messageId, text });
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const f of frames) expect(utf8Bytes(JSON.stringify(f))).toBeLessThanOrEqual(32768);
    const calls = em.brain.requests.filter((r) => r.streaming).length;
    const conn = id('conn');
    await Promise.all(frames.slice().reverse().map((f) => raw('parts', conn, JSON.stringify(f))));
    const out = em.sink.frames(conn);
    expect(out.filter((f) => f.type === 'accepted')).toHaveLength(1);
    expect(out.filter((f) => f.type === 'done')).toHaveLength(1);
    expect(em.brain.requests.filter((r) => r.streaming).length).toBe(calls + 1);
    const stored = await userMessages('parts', out[0].conversationId);
    expect(stored).toHaveLength(1);
    expect(stored[0].text).toBe(text);
    expect(em.brain.requests.filter((r) => r.streaming).at(-1)!.messages.at(-1)!.content[0].text).toBe(text);
    // A part resent after a reconnect is a retry: accepted again with the same ids, nothing new.
    const again = id('conn');
    await raw('parts', again, JSON.stringify(frames[0]));
    expect(em.sink.frames(again)).toEqual([out[0]]);
  });

  test('parts adding up to 16,001 characters are TOO_LARGE and nothing is stored', async () => {
    const text = '가'.repeat(16_001);
    const messageId = id('msg');
    const frames = buildSendFrames({ messageId, text });
    const conn = id('conn');
    for (const f of frames) await raw('parts2', conn, JSON.stringify(f));
    const out = em.sink.frames(conn);
    expect(out.map((f) => f.code)).toContain('TOO_LARGE');
    expect(out.some((f) => f.type === 'accepted')).toBe(false);
    expect(await em.store.claims.get('parts2', messageId)).toBeUndefined();
  });

  test('parts over the limit get exactly one TOO_LARGE frame, sent one by one or all at once', async () => {
    for (const together of [false, true]) {
      const messageId = id('msg');
      // Three frames of 9,000 Hangul (27 KB each): the second already makes the set too large.
      const frames = [0, 1, 2].map((index) => ({ action: 'sendMessage', messageId, text: '가'.repeat(9_000), part: { index, count: 3 } }));
      const conn = id('conn');
      if (together) await Promise.all(frames.map((f) => raw('parts3', conn, JSON.stringify(f))));
      else for (const f of frames) await raw('parts3', conn, JSON.stringify(f));
      expect(em.sink.frames(conn)).toEqual([expect.objectContaining({ type: 'error', code: 'TOO_LARGE', messageId })]);
      expect(await em.store.claims.get('parts3', messageId)).toBeUndefined();
    }
  });

  test('a message may have 16 parts; a count of 17 is BAD_REQUEST', async () => {
    const ok = id('msg');
    const conn = id('conn');
    for (let index = 0; index < 16; index++) {
      await raw('parts4', conn, JSON.stringify({ action: 'sendMessage', messageId: ok, text: `${index} `, part: { index, count: 16 } }));
    }
    expect(em.sink.frames(conn).map((f) => f.type)).toEqual(expect.arrayContaining(['accepted', 'done']));
    const over = id('conn');
    const overId = id('msg');
    await raw('parts4', over, JSON.stringify({ action: 'sendMessage', messageId: overId, text: 'x', part: { index: 0, count: 17 } }));
    expect(em.sink.frames(over)).toEqual([expect.objectContaining({ code: 'BAD_REQUEST', messageId: overId })]);
  });

  test('parts that disagree on count are BAD_REQUEST', async () => {
    const messageId = id('msg');
    const conn = id('conn');
    await raw('parts3', conn, JSON.stringify({ action: 'sendMessage', messageId, text: '앞', part: { index: 0, count: 3 } }));
    await raw('parts3', conn, JSON.stringify({ action: 'sendMessage', messageId, text: '뒤', part: { index: 1, count: 2 } }));
    expect(em.sink.frames(conn)).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST', messageId })]);
  });
});

describe('chat handler: model errors', () => {
  test('a throttled model call is retried with backoff and then answers', async () => {
    em.brain.script = { tokens: ['재시도 ', '성공'], throttleFirst: 1 };
    const conn = id('conn');
    await raw('err', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '재시도' }));
    const done = em.sink.frames(conn).find((f) => f.type === 'done');
    expect(done?.stopReason).toBe('end_turn');
    expect(em.sink.frames(conn).filter((f) => f.type === 'delta').map((f) => f.text).join('')).toBe('재시도 성공');
  });

  test('a mid-stream model error keeps the partial reply (status error) and tells the client', async () => {
    em.brain.script = { tokens: ['하나 ', '둘 ', '셋 ', '넷'], failAfterTokens: 3 };
    const conn = id('conn');
    await raw('err', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '세다가 멈춰' }));
    const frames = em.sink.frames(conn);
    const { conversationId, replyId } = frames[0];
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'MODEL_ERROR', replyId, retryable: true });
    expect(frames.some((f) => f.type === 'done')).toBe(false);
    const reply = (await em.store.messages.newestFirst('err', conversationId, 10)).items[0];
    expect(reply).toMatchObject({ messageId: replyId, status: 'error', text: '하나 둘 셋 ' });
  });

  test('model access not enabled is MODEL_ERROR with a message a person can act on', async () => {
    em.brain.script = { failBefore: 'accessDeniedException' };
    const conn = id('conn');
    await raw('err2', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '권한?' }));
    const error = em.sink.frames(conn).at(-1);
    expect(error).toMatchObject({ type: 'error', code: 'MODEL_ERROR', retryable: false });
    expect(error.message).toMatch(/Model access is not enabled for anthropic\.claude-3-haiku/);
  });
});
