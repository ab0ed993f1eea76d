import { PART_TTL_SECONDS } from '../../src/contract/protocol';
import { PartResult, refuseSet, storePart } from '../../src/core/split-message';
import { id } from '../support/ids';
import { MemoryStore } from '../support/memory/memory-store';

const em = { store: new MemoryStore() };

describe('split-message parts', () => {
  test('exactly one of many concurrent completions assembles the set', async () => {
    const messageId = id('msg');
    const t = Date.now();
    const results = await Promise.all([0, 1, 2, 3].map((index) =>
      storePart(em.store.parts, 'p1', { messageId, index, count: 4, text: `${index}번 ` }, t, 16_000)));
    const complete = results.filter((r) => r.state === 'complete');
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatchObject({ text: '0번 1번 2번 3번 ' });
    // The others either waited or saw it taken; none errored.
    expect(results.every((r) => r.state !== 'error')).toBe(true);
  });

  test('an incomplete set expires after 5 minutes: a part arriving just after cannot complete it, one just before can', async () => {
    const t = Date.now();
    const late = id('msg');
    await storePart(em.store.parts, 'p2', { messageId: late, index: 0, count: 2, text: '앞' }, t, 16_000);
    const r1 = await storePart(em.store.parts, 'p2', { messageId: late, index: 1, count: 2, text: '뒤' }, t + PART_TTL_SECONDS * 1000 + 1000, 16_000);
    expect(r1.state).toBe('waiting');
    const onTime = id('msg');
    await storePart(em.store.parts, 'p2', { messageId: onTime, index: 0, count: 2, text: '앞' }, t, 16_000);
    const r2 = await storePart(em.store.parts, 'p2', { messageId: onTime, index: 1, count: 2, text: '뒤' }, t + PART_TTL_SECONDS * 1000 - 1000, 16_000);
    expect(r2).toMatchObject({ state: 'complete', text: '앞뒤' });
  });

  test.each([
    ['in order', [0, 1, 2]],
    ['in reverse', [2, 1, 0]],
    ['all at once', undefined],
  ])('a set over the character limit is refused exactly once, its parts arriving %s', async (_, order) => {
    const messageId = id('msg');
    const t = Date.now();
    // 3 × 9,000 characters: any two parts already prove the set too large.
    const put = (index: number) => storePart(em.store.parts, 'p3', { messageId, index, count: 3, text: '가'.repeat(9_000) }, t, 16_000);
    const results = order ? await order.reduce(async (acc, index) => [...await acc, await put(index)], Promise.resolve([] as PartResult[]))
      : await Promise.all([0, 1, 2].map(put));
    const errors = results.filter((r) => r.state === 'error');
    expect(errors).toEqual([{ state: 'error', error: expect.objectContaining({ code: 'TOO_LARGE', messageId }) }]);
    expect(results.some((r) => r.state === 'complete')).toBe(false);
  });

  test('a set whose parts disagree on count is refused exactly once', async () => {
    const messageId = id('msg');
    const t = Date.now();
    const results = [
      await storePart(em.store.parts, 'p4', { messageId, index: 0, count: 2, text: '앞' }, t, 16_000),
      await storePart(em.store.parts, 'p4', { messageId, index: 1, count: 3, text: '중' }, t, 16_000),
      await storePart(em.store.parts, 'p4', { messageId, index: 2, count: 3, text: '뒤' }, t, 16_000),
    ];
    expect(results.map((r) => r.state)).toEqual(['waiting', 'error', 'taken']);
  });

  test('a set refused before its part is stored: one of many concurrent refusals answers, the stored parts go, late parts stay quiet', async () => {
    const messageId = id('msg');
    const t = Date.now();
    await storePart(em.store.parts, 'p5', { messageId, index: 0, count: 3, text: '앞' }, t, 16_000);
    const answers = await Promise.all([1, 2, 1].map(() => refuseSet(em.store.parts, 'p5', messageId, 3, t)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    const late = await storePart(em.store.parts, 'p5', { messageId, index: 1, count: 3, text: '중' }, t, 16_000);
    expect(late).toEqual({ state: 'taken' });
    // Part 0 went with the refusal; late parts are kept until they expire, like any late part.
    expect((await em.store.parts.put('p5', { messageId, index: 2, count: 3, text: '뒤' }, t)).parts.map((p) => p.index)).toEqual([1, 2]);
  });
});
