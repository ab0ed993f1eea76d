import { utf8Bytes } from '../../src/contract/protocol';
import { MAX_PAGE_PAYLOAD_BYTES } from '../../src/core/domain/page-budget';
import { MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from '../../src/core/store/cursor-limits';
import { handler as history } from '../../src/handlers/history.lambda';
import { LAMBDA_MAX_RESPONSE_BYTES } from '../../src/local/lambda-limits';
import { Emulators, id, startEmulators } from '../support/harness';
import { startHistoryHttp } from '../support/history-http';

// The real history handler behind the HTTP API emulator, over real HTTP, on dynalite.

let em: Emulators;
let api: Awaited<ReturnType<typeof startHistoryHttp>>;
beforeAll(async () => {
  em = await startEmulators();
  api = await startHistoryHttp(history);
});
afterAll(async () => {
  await api.close();
  await em.close();
});

const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
const forge = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
/** `prefix` padded with Hangul (3 bytes) and then ASCII to exactly `bytes` UTF-8 bytes. */
function keyOfBytes(prefix: string, bytes: number, hangul = true): string {
  const room = bytes - utf8Bytes(prefix);
  const s = hangul ? prefix + '한'.repeat(Math.floor(room / 3)) + 'a'.repeat(room % 3) : prefix + 'a'.repeat(room);
  expect(utf8Bytes(s)).toBe(bytes);
  return s;
}

/** A conversation of `turns` stored turns (user message + complete reply), oldest first. */
async function seed(user: string, turns: Array<{ q: string; a: string }>) {
  const conversationId = id('conv');
  const t0 = Date.now() - 3_600_000;
  await em.store.conversations.create(user, conversationId, '제목', t0, id('r'), t0);
  for (let i = 0; i < turns.length; i++) {
    const turn = { conversationId, t: t0 + i, messageId: id('m'), replyId: id('r') };
    await em.store.messages.putTurn(user, turn, turns[i].q);
    await em.store.messages.finishReply(user, turn, { text: turns[i].a, status: 'complete', stopReason: 'end_turn' }, t0 + i);
  }
  return conversationId;
}

describe('history over HTTP: cursor keys within DynamoDB\'s key sizes', () => {
  test(`a message cursor whose sort key is ${MAX_SORT_KEY_BYTES} bytes is a normal page; ${MAX_SORT_KEY_BYTES + 1} bytes is 400`, async () => {
    const conversationId = await seed('cur', [{ q: '하나', a: '답 하나' }, { q: '둘', a: '답 둘' }]);
    const path = `/conversations/${conversationId}/messages`;
    const p1 = await api.send('cur', 'GET', path, { query: { limit: '1' } });
    expect(p1.status).toBe(200);
    const key = decode(p1.body.nextCursor);
    for (const hangul of [false, true]) {
      // M#한… sorts after every real M#{digits} key: the page after it is the newest messages.
      const edge = await api.send('cur', 'GET', path, { query: { limit: '2', cursor: forge({ ...key, sk: keyOfBytes('M#', MAX_SORT_KEY_BYTES, hangul) }) } });
      expect([hangul, edge.status, edge.body.items.map((m: any) => m.text)]).toEqual([hangul, 200, ['둘', '답 둘']]);
      const over = await api.send('cur', 'GET', path, { query: { cursor: forge({ ...key, sk: keyOfBytes('M#', MAX_SORT_KEY_BYTES + 1, hangul) }) } });
      expect([hangul, over.status, over.body]).toEqual([hangul, 400, { code: 'BAD_REQUEST', message: 'The cursor is not valid.' }]);
    }
    // A lone surrogate is not a string DynamoDB can take either.
    expect((await api.send('cur', 'GET', path, { query: { cursor: forge({ ...key, sk: 'M#\ud800' }) } })).status).toBe(400);
    expect((await api.send('cur', 'GET', path, { query: { cursor: forge({ ...key, sk: 5 }) } })).status).toBe(400);
    // A partition key of 2049 bytes is not the caller's own.
    expect((await api.send('cur', 'GET', path, { query: { cursor: forge({ ...key, pk: keyOfBytes(key.pk, MAX_PARTITION_KEY_BYTES + 1) }) } })).status).toBe(400);
    expect(api.logs).toEqual([]);
  });

  test('a conversation-list cursor with a table or index sort key at the edge is a normal page; one byte over is 400', async () => {
    await seed('curlist', [{ q: 'a', a: 'b' }]);
    await seed('curlist', [{ q: 'c', a: 'd' }]);
    const p1 = await api.send('curlist', 'GET', '/conversations', { query: { limit: '1' } });
    const key = decode(p1.body.nextCursor);
    expect(Object.keys(key).sort()).toEqual(['gsi1pk', 'gsi1sk', 'pk', 'sk']);
    for (const [attr, prefix] of [['sk', 'C#'], ['gsi1sk', '2026']]) {
      const edge = await api.send('curlist', 'GET', '/conversations', { query: { cursor: forge({ ...key, [attr]: keyOfBytes(prefix, MAX_SORT_KEY_BYTES) }) } });
      expect([attr, edge.status, Array.isArray(edge.body.items)]).toEqual([attr, 200, true]);
      const over = await api.send('curlist', 'GET', '/conversations', { query: { cursor: forge({ ...key, [attr]: keyOfBytes(prefix, MAX_SORT_KEY_BYTES + 1, false) }) } });
      expect([attr, over.status, over.body.code]).toEqual([attr, 400, 'BAD_REQUEST']);
    }
    expect(api.logs).toEqual([]);
  });
});

describe('history over HTTP: a message page stays inside Lambda\'s 6 MB response', () => {
  test('four 300 KiB replies of control characters (7.4 MB as JSON) come in pages under the limit that add up to the stored messages', async () => {
    const turns = [1, 2, 3, 4].map((i) => ({ q: `질문 ${i}`, a: `${i}` + '\u0001'.repeat(300 * 1024 - 1) }));
    const conversationId = await seed('big', turns);
    const pages: any[][] = [];
    let cursor: string | undefined;
    do {
      const r = await api.send('big', 'GET', `/conversations/${conversationId}/messages`, { query: { limit: '100', ...(cursor ? { cursor } : {}) } });
      expect(r.status).toBe(200);
      expect(r.bytes).toBeLessThanOrEqual(LAMBDA_MAX_RESPONSE_BYTES);
      expect(r.body.items.length).toBeGreaterThan(0);
      pages.push(r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor && pages.length < 10);
    expect(cursor).toBeUndefined();
    expect(pages.length).toBeGreaterThan(1);
    // Pages walk older; inside a page messages are oldest first.
    const all = pages.reverse().flat();
    // What the table holds, read with the store's own queries (DynamoDB reads at most 1 MB a query).
    const stored: Array<{ messageId: string; role: string; text: string }> = [];
    let start: string | undefined;
    do {
      const page = await em.store.messages.newestFirst('big', conversationId, 100, start);
      stored.unshift(...page.items.reverse());
      start = page.nextCursor;
    } while (start);
    expect(all.map((m) => [m.messageId, m.role, m.text])).toEqual(stored.map((m) => [m.messageId, m.role, m.text]));
    expect(all.map((m) => m.text)).toEqual(turns.flatMap((t) => [t.q, t.a]));
    // Each page alone is what the budget allows, so the whole would not have fitted in one.
    expect(utf8Bytes(JSON.stringify(JSON.stringify({ items: all })))).toBeGreaterThan(LAMBDA_MAX_RESPONSE_BYTES);
    expect(MAX_PAGE_PAYLOAD_BYTES).toBeLessThan(LAMBDA_MAX_RESPONSE_BYTES);
    expect(api.logs).toEqual([]);
  });
});

describe('history over HTTP: a title must show something', () => {
  test('titles of only zero-width, NUL, control or blank filler characters are 400 and change nothing; such characters among text are kept', async () => {
    const conversationId = await seed('titles', [{ q: 'q', a: 'a' }]);
    const path = `/conversations/${conversationId}`;
    const invisible = ['\u200B', '\u200B\u200C\u200D\u2060\uFEFF', '\u0000\u0000', '\u0001\u0007\u001F\u007F', ' \u200B\t\u3000\uFEFF ', '\u3164\u3164', '\u00AD'];
    for (const title of invisible) {
      const r = await api.send('titles', 'PATCH', path, { body: JSON.stringify({ title }) });
      expect([title, r.status, r.body]).toEqual([title, 400, { code: 'BAD_REQUEST', message: 'The title is empty: it has only spaces, control or zero-width characters.' }]);
    }
    expect((await api.send('titles', 'GET', path)).body.title).toBe('제목');
    for (const title of ['새\u200B제목', '이름\u0000', '\u2060한\u200D글']) {
      const r = await api.send('titles', 'PATCH', path, { body: JSON.stringify({ title }) });
      expect([title, r.status, r.body.title]).toEqual([title, 200, title]);
      expect((await api.send('titles', 'GET', path)).body.title).toBe(title);
    }
  });
});
