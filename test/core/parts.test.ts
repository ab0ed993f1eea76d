import { storePart } from '../../src/core/parts';
import { PART_TTL_SECONDS } from '../../src/core/protocol';
import { Emulators, id, startEmulators } from '../support/harness';

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

describe('split-message parts', () => {
  test('exactly one of many concurrent completions assembles the set', async () => {
    const messageId = id('msg');
    const t = Date.now();
    const results = await Promise.all([0, 1, 2, 3].map((index) =>
      storePart(em.store, 'p1', { messageId, index, count: 4, text: `${index}번 ` }, t, 16_000)));
    const complete = results.filter((r) => r.state === 'complete');
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatchObject({ text: '0번 1번 2번 3번 ' });
    // The others either waited or saw it taken; none errored.
    expect(results.every((r) => r.state !== 'error')).toBe(true);
  });

  test('an incomplete set expires after 5 minutes: a part arriving just after cannot complete it, one just before can', async () => {
    const t = Date.now();
    const late = id('msg');
    await storePart(em.store, 'p2', { messageId: late, index: 0, count: 2, text: '앞' }, t, 16_000);
    const r1 = await storePart(em.store, 'p2', { messageId: late, index: 1, count: 2, text: '뒤' }, t + PART_TTL_SECONDS * 1000 + 1000, 16_000);
    expect(r1.state).toBe('waiting');
    const onTime = id('msg');
    await storePart(em.store, 'p2', { messageId: onTime, index: 0, count: 2, text: '앞' }, t, 16_000);
    const r2 = await storePart(em.store, 'p2', { messageId: onTime, index: 1, count: 2, text: '뒤' }, t + PART_TTL_SECONDS * 1000 - 1000, 16_000);
    expect(r2).toMatchObject({ state: 'complete', text: '앞뒤' });
  });
});
