/**
 * The title search of the Store port, held against both stores (the in-memory one the core tests
 * run on and the DynamoDB store on dynalite): the same pages, the same bound, the same cursors.
 */
import { checkSearchQuery, titleMatches } from '../../../src/contract/search';
import { BadCursorError, ConversationRecord, Store } from '../../../src/core/ports/store';
import { STORE_SUBJECTS as subjects, StoreSubject as Subject } from '../../support/store-subjects';

const T = 1_800_000_000_000;
const key = (q: string) => { const c = checkSearchQuery(q); if ('error' in c) throw new Error(c.error); return c.key; };
const matching = (q: string) => { const k = key(q); return (c: ConversationRecord) => titleMatches(c.title, k); };
const titles = (p: { items: ConversationRecord[] }) => p.items.map((c) => c.title);

describe.each(subjects)('title search on the store %s', (_name, make) => {
  let subject: Subject;
  let store: Store;
  beforeAll(async () => { subject = await make(); store = subject.store; });
  afterAll(async () => { await subject.close(); });

  /** Conversations of `user` with these titles, the first the most recently updated. */
  async function seed(user: string, list: string[]) {
    for (let i = 0; i < list.length; i++) {
      const at = T - i * 1000;
      expect(await store.conversations.create(user, `${user}-${String(i).padStart(4, '0')}`.padEnd(8, 'x'), list[i], at, 'r-seed-000', at)).toBe(true);
    }
  }

  test('newest first, case-insensitive, Hangul by substring, NFC; another user\'s titles never appear', async () => {
    await seed('s1', ['서울 겨울 날씨', 'Regex for ISO dates', '부산 날씨 예보', 'REGEX lookbehind', '\u1100\u1161\u11BC\u1102\u1173\u11BC 날씨']);
    await seed('s2', ['남의 날씨', 'regex of another user']);
    expect(titles(await store.conversations.search('s1', matching('날씨'), 20, 500))).toEqual(['서울 겨울 날씨', '부산 날씨 예보', '\u1100\u1161\u11BC\u1102\u1173\u11BC 날씨']);
    expect(titles(await store.conversations.search('s1', matching('  겨울 날 '), 20, 500))).toEqual(['서울 겨울 날씨']);
    expect(titles(await store.conversations.search('s1', matching('rEgEx'), 20, 500))).toEqual(['Regex for ISO dates', 'REGEX lookbehind']);
    // A composed query finds a decomposed (NFD) title and the other way round.
    expect(titles(await store.conversations.search('s1', matching('강능'), 20, 500))).toEqual(['\u1100\u1161\u11BC\u1102\u1173\u11BC 날씨']);
    expect(titles(await store.conversations.search('s1', matching('\u1107\u116E\u1109\u1161\u11AB'), 20, 500))).toEqual(['부산 날씨 예보']);
    expect(titles(await store.conversations.search('s1', matching('없는 말'), 20, 500))).toEqual([]);
    expect(titles(await store.conversations.search('s2', matching('regex'), 20, 500))).toEqual(['regex of another user']);
  });

  test('a full page stops the scan; its cursor continues after the last match', async () => {
    await seed('s3', ['a 1', 'b', 'a 2', 'a 3', 'b', 'a 4']);
    const p1 = await store.conversations.search('s3', matching('a'), 2, 500);
    expect(titles(p1)).toEqual(['a 1', 'a 2']);
    expect(p1.nextCursor).toBeDefined();
    const p2 = await store.conversations.search('s3', matching('a'), 2, 500, p1.nextCursor);
    expect(titles(p2)).toEqual(['a 3', 'a 4']);
    expect(p2.nextCursor).toBeUndefined();
    // A list cursor continues a search too: both are positions in the same index.
    const listed = await store.conversations.list('s3', 3);
    expect(titles(await store.conversations.search('s3', matching('a'), 20, 500, listed.nextCursor))).toEqual(['a 3', 'a 4']);
  });

  test('the read budget stops the scan with a cursor: the match past it is on the next request, not read now', async () => {
    await seed('s4', [...Array.from({ length: 7 }, (_, i) => `other ${i}`), 'needle', 'other 7']);
    const p1 = await store.conversations.search('s4', matching('needle'), 20, 7);
    expect(p1.items).toEqual([]);
    expect(p1.nextCursor).toBeDefined();
    const p2 = await store.conversations.search('s4', matching('needle'), 20, 7, p1.nextCursor);
    expect(titles(p2)).toEqual(['needle']);
    expect(p2.nextCursor).toBeUndefined();
    // At the edge: a budget of 8 reads the needle at once.
    expect(titles(await store.conversations.search('s4', matching('needle'), 20, 8))).toEqual(['needle']);
  });

  test('a cursor of another user or a forged one is refused', async () => {
    await seed('s5', ['x 1', 'x 2', 'x 3']);
    const p1 = await store.conversations.search('s5', matching('x'), 1, 500);
    await expect(store.conversations.search('s6', matching('x'), 1, 500, p1.nextCursor)).rejects.toBeInstanceOf(BadCursorError);
    await expect(store.conversations.search('s5', matching('x'), 1, 500, 'bm90LWEtY3Vyc29y')).rejects.toBeInstanceOf(BadCursorError);
  });
});
