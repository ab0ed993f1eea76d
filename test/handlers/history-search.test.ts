import { utf8Bytes } from '../../src/contract/protocol';
import { MAX_SEARCH_QUERY_CHARS } from '../../src/contract/search';
import { SEARCH_MAX_READ } from '../../src/core/domain/runtime-limits';
import { handler as history } from '../../src/handlers/history.lambda';
import { Emulators, id, startEmulators } from '../support/harness';
import { startHistoryHttp } from '../support/history-http';

// Title search (GET /api/conversations?q=): the real history handler behind the HTTP API
// emulator, over real HTTP, on dynalite.

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

const T = Date.now() - 24 * 3_600_000;

/** Conversations of `user` with these titles, the first the most recently updated; their ids in the same order. */
async function seed(user: string, titles: string[]): Promise<string[]> {
  const ids = titles.map(() => id('conv'));
  for (let i = 0; i < titles.length; i += 25) {
    await Promise.all(titles.slice(i, i + 25).map((title, j) =>
      em.store.conversations.create(user, ids[i + j], title, T - (i + j) * 1000, id('r'), T)));
  }
  return ids;
}

const search = (user: string, q: string, extra: Record<string, string> = {}) =>
  api.send(user, 'GET', '/conversations', { query: { q, ...extra } });
const titlesOf = (r: { body: any }) => r.body.items.map((c: any) => c.title);

describe('title search over HTTP', () => {
  test('Hangul by substring, case-insensitive, newest first, only the caller\'s own conversations', async () => {
    const [seoul] = await seed('sa', ['서울 겨울 날씨', 'Regex for ISO dates', '부산 날씨 예보', '회의록']);
    await seed('sb', ['남의 날씨 비밀', 'REGEX of bob']);
    const r = await search('sa', '날씨');
    expect(r.status).toBe(200);
    expect(titlesOf(r)).toEqual(['서울 겨울 날씨', '부산 날씨 예보']);
    expect(r.body.nextCursor).toBeUndefined();
    expect(Object.keys(r.body.items[0]).sort()).toEqual(['conversationId', 'createdAt', 'title', 'updatedAt']);
    expect(r.body.items[0].conversationId).toBe(seoul);
    expect(titlesOf(await search('sa', '울 겨'))).toEqual(['서울 겨울 날씨']);
    expect(titlesOf(await search('sa', 'regex'))).toEqual(['Regex for ISO dates']);
    expect(titlesOf(await search('sa', 'ISO DATES'))).toEqual(['Regex for ISO dates']);
    expect(titlesOf(await search('sa', '비밀'))).toEqual([]);
    expect(titlesOf(await search('sb', '날씨'))).toEqual(['남의 날씨 비밀']);
  });

  test('a rename is what is searched', async () => {
    const [c] = await seed('sr', ['처음 제목']);
    expect((await api.send('sr', 'PATCH', `/conversations/${c}`, { body: JSON.stringify({ title: '여행 계획' }) })).status).toBe(200);
    expect(titlesOf(await search('sr', '여행'))).toEqual(['여행 계획']);
    expect(titlesOf(await search('sr', '처음'))).toEqual([]);
  });

  test('a full page (limit) ends the answer; nextCursor continues the scan', async () => {
    await seed('sp', ['a1 일', 'b', 'a2 이', 'a3 삼', 'b', 'a4 사', 'a5 오']);
    const p1 = await search('sp', 'A', { limit: '2' });
    expect(titlesOf(p1)).toEqual(['a1 일', 'a2 이']);
    const p2 = await search('sp', 'A', { limit: '2', cursor: p1.body.nextCursor });
    expect(titlesOf(p2)).toEqual(['a3 삼', 'a4 사']);
    const p3 = await search('sp', 'A', { limit: '2', cursor: p2.body.nextCursor });
    expect(titlesOf(p3)).toEqual(['a5 오']);
    expect(p3.body.nextCursor).toBeUndefined();
  });

  test(`bounded: one request reads at most ${SEARCH_MAX_READ} conversations; the match just past them comes with the cursor`, async () => {
    // Newest first: SEARCH_MAX_READ - 1 that do not match, the match at exactly the budget, one more just past it.
    const titles = [...Array.from({ length: SEARCH_MAX_READ - 1 }, (_, i) => `잡담 ${i}`), '바늘 하나', '바늘 둘'];
    await seed('sbig', titles);
    const p1 = await search('sbig', '바늘');
    expect(p1.status).toBe(200);
    expect(titlesOf(p1)).toEqual(['바늘 하나']);
    expect(typeof p1.body.nextCursor).toBe('string');
    const p2 = await search('sbig', '바늘', { cursor: p1.body.nextCursor });
    expect(titlesOf(p2)).toEqual(['바늘 둘']);
    expect(p2.body.nextCursor).toBeUndefined();
    // Nothing matches: the first request stops at the budget with a cursor instead of reading on.
    const none = await search('sbig', '없는말');
    expect(none.body.items).toEqual([]);
    expect(typeof none.body.nextCursor).toBe('string');
    const rest = await search('sbig', '없는말', { cursor: none.body.nextCursor });
    expect(rest.body).toEqual({ items: [] });
  }, 60_000);

  test(`q is 1–${MAX_SEARCH_QUERY_CHARS} characters after trimming: ${MAX_SEARCH_QUERY_CHARS} Hangul pass, one more, blank or invisible-only are 400`, async () => {
    const edge = '가'.repeat(MAX_SEARCH_QUERY_CHARS);
    expect(utf8Bytes(edge)).toBe(3 * MAX_SEARCH_QUERY_CHARS);
    await seed('sq', [edge]);
    const ok = await search('sq', `  ${edge}  `);
    expect(ok.status).toBe(200);
    expect(titlesOf(ok)).toEqual([edge]);
    for (const q of [`${edge}가`, '', '   ', '\u200B\u200D', '\u3164']) {
      const r = await search('sq', q);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
    }
    expect((await search('sq', '가', { limit: '101' })).status).toBe(400);
    expect((await search('sq', '가', { cursor: 'bm90LWEtY3Vyc29y' })).status).toBe(400);
  });

  test('another user\'s cursor is 400 and reveals nothing', async () => {
    await seed('sc', ['커서 1', '커서 2']);
    const p1 = await search('sc', '커서', { limit: '1' });
    expect(p1.body.nextCursor).toBeDefined();
    const other = await search('sd', '커서', { cursor: p1.body.nextCursor });
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ code: 'BAD_REQUEST', message: 'The cursor is not valid.' });
  });
});
