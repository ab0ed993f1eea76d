import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { awsFromEnv } from '../../src/contract/env';
import { buildSendFrames } from '../../src/contract/protocol';
import { createDocumentClient } from '../../src/core/aws';
import { handler } from '../../src/handlers/chat.lambda';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

// sendMessage frames through the real chat handler, dynalite, the local model and @connections.

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

const raw = (user: string, conn: string, body: string) => handler(wsEvent('sendMessage', user, conn, body));
const EMPTY = 'The message is empty: it has only spaces, control or zero-width characters.';
const modelCalls = () => em.brain.requests.filter((r) => r.streaming).length;

/** Every item of a user's own partition, by sort key. */
async function userItems(user: string): Promise<string[]> {
  const doc = createDocumentClient(awsFromEnv(em.env));
  try {
    const r = await doc.send(new QueryCommand({ TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `U#${user}` }, ConsistentRead: true }));
    return (r.Items ?? []).map((i) => i.sk as string);
  } finally { doc.destroy(); }
}

const INVISIBLE = [
  '\u200B', '\u200B\u200C\u200D\u2060\uFEFF', '\u0000', '\u0000\u0001\u0002\u001F\u007F', '\u200B \t\n\u3000\u00A0\uFEFF', '\u3164', '\u2800\u00AD',
];

describe('chat handler: a message must show something', () => {
  beforeEach(() => { em.brain.script = { tokens: ['네'] }; });

  test('a single frame of only zero-width, NUL, control or blank characters is BAD_REQUEST and stores nothing', async () => {
    const calls = modelCalls();
    for (const text of INVISIBLE) {
      const conn = id('conn');
      const messageId = id('msg');
      await raw('blank', conn, JSON.stringify({ action: 'sendMessage', messageId, text }));
      expect([text, em.sink.frames(conn)]).toEqual([text, [{ type: 'error', code: 'BAD_REQUEST', message: EMPTY, retryable: false, messageId }]]);
    }
    expect(await userItems('blank')).toEqual([]);
    expect(modelCalls()).toBe(calls);
  });

  test('into an existing conversation, an invisible message is refused and the conversation is unchanged', async () => {
    const first = id('conn');
    await raw('blank2', first, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '안녕' }));
    const { conversationId } = em.sink.frames(first)[0];
    const before = (await em.store.messages.newestFirst('blank2', conversationId, 100)).items;
    const conn = id('conn');
    await raw('blank2', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), conversationId, text: '\u200B\u200B' }));
    expect(em.sink.frames(conn)).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST', message: EMPTY })]);
    expect((await em.store.messages.newestFirst('blank2', conversationId, 100)).items).toEqual(before);
  });

  test('such characters among real text are accepted and stored as sent', async () => {
    for (const text of ['안\u200B녕', '\u0000질문\u0001', '\uFEFFhello\u2060', 'ㅤ가']) {
      const conn = id('conn');
      await raw('mixed', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text }));
      const [accepted] = em.sink.frames(conn);
      expect([text, accepted.type]).toEqual([text, 'accepted']);
      const stored = (await em.store.messages.newestFirst('mixed', accepted.conversationId, 10)).items.find((m) => m.role === 'user');
      expect(stored?.text).toBe(text);
    }
  });

  test('a split message whose assembled text is only zero-width spaces or NULs is one BAD_REQUEST, and its parts are gone', async () => {
    const calls = modelCalls();
    for (const text of ['\u200B'.repeat(16_000), '\u0000'.repeat(16_000)]) {
      const messageId = id('msg');
      const frames = buildSendFrames({ messageId, text });
      expect(frames.length).toBeGreaterThanOrEqual(2);
      const conn = id('conn');
      for (const f of frames) await raw('blank3', conn, JSON.stringify(f));
      expect(em.sink.frames(conn)).toEqual([{ type: 'error', code: 'BAD_REQUEST', message: EMPTY, retryable: false, messageId }]);
      expect(await em.store.claims.get('blank3', messageId)).toBeUndefined();
    }
    // Only the sets' done markers (TTL, they keep late parts quiet) and the minute's part-bytes
    // counter (TTL) are left: no part, claim or conversation.
    expect((await userItems('blank3')).map((sk) => sk.replace(/^P#.*#done$/, 'done').replace(/^L#\d+#parts$/, 'part bytes')))
      .toEqual(['part bytes', 'done', 'done']);
    expect(modelCalls()).toBe(calls);
  });

  test('a split message of zero-width spaces around real text is accepted whole', async () => {
    const text = '\u200B'.repeat(12_000) + '진짜 질문';
    const messageId = id('msg');
    const frames = buildSendFrames({ messageId, text });
    expect(frames.length).toBeGreaterThanOrEqual(2);
    const conn = id('conn');
    for (const f of frames) await raw('mixed2', conn, JSON.stringify(f));
    const [accepted] = em.sink.frames(conn);
    expect(accepted).toMatchObject({ type: 'accepted', messageId });
    const stored = (await em.store.messages.newestFirst('mixed2', accepted.conversationId, 10)).items.find((m) => m.role === 'user');
    expect(stored?.text).toBe(text);
  });
});
