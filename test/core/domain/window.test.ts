import { clampCalibration, estimateTokens, WindowBuilder } from '../../../src/core/domain/window';
import type { StoredMessage } from '../../../src/core/ports/store';

let n = 0;
const msg = (role: 'user' | 'assistant', text: string, status: StoredMessage['status'] = 'complete'): StoredMessage =>
  ({ messageId: `m${n++}`, role, text, status, createdAt: '' });

/** Turns oldest first → messages newest first, as the store reads them. */
const newestFirst = (...turns: Array<[string, string, StoredMessage['status']?]>) =>
  turns.flatMap(([u, a, s]) => [msg('user', u), msg('assistant', a, s ?? 'complete')]).reverse();

describe('history window', () => {
  test('Hangul counts about a token a syllable, other text about four characters a token', () => {
    expect(estimateTokens('가'.repeat(100))).toBe(104);
    expect(estimateTokens('a'.repeat(100))).toBe(29);
  });

  test('keeps the newest whole turns that fit the budget and drops older ones', () => {
    const turnCost = estimateTokens('가'.repeat(98)) * 2; // 102 + 102
    const b = new WindowBuilder(turnCost * 2, 1, 200);
    b.add(newestFirst(['가'.repeat(96) + '하나', '가'.repeat(98)], ['가'.repeat(96) + '둘둘', '가'.repeat(98)], ['가'.repeat(96) + '셋셋', '가'.repeat(98)]));
    const w = b.result();
    expect(w).toHaveLength(4);
    expect(w[0].text.endsWith('둘둘')).toBe(true);
    expect(w[2].text.endsWith('셋셋')).toBe(true);
    expect(b.full).toBe(true);
  });

  test('a budget just one token short of a turn leaves it out', () => {
    const cost = estimateTokens('질문') + estimateTokens('답변');
    const exact = new WindowBuilder(cost, 1, 200);
    exact.add(newestFirst(['질문', '답변']));
    expect(exact.result()).toHaveLength(2);
    const short = new WindowBuilder(cost - 1, 1, 200);
    short.add(newestFirst(['질문', '답변']));
    expect(short.result()).toHaveLength(0);
  });

  test('starts with a user turn and alternates, skipping failed and unfinished turns whole', () => {
    const b = new WindowBuilder(10_000, 1, 200);
    b.add(newestFirst(['q1', 'a1'], ['q2', 'partial', 'error'], ['q3', '', 'streaming'], ['q4', 'a4', 'stopped'], ['q5', 'x', 'interrupted']));
    const w = b.result();
    expect(w.map((t) => `${t.role}:${t.text}`)).toEqual(['user:q1', 'assistant:a1', 'user:q4', 'assistant:a4']);
  });

  test('calibration scales the cost: a ratio of 2 halves what fits', () => {
    const turns = newestFirst(['a'.repeat(40), 'b'.repeat(40)], ['c'.repeat(40), 'd'.repeat(40)]);
    const plain = new WindowBuilder(60, 1, 200);
    plain.add(turns);
    const doubled = new WindowBuilder(60, 2, 200);
    doubled.add(turns);
    expect(plain.result()).toHaveLength(4);
    expect(doubled.result()).toHaveLength(2);
    expect(clampCalibration(10)).toBe(3);
    expect(clampCalibration(0.1)).toBe(0.5);
    expect(clampCalibration(NaN)).toBe(1);
  });

  test('reads at most maxMessages messages however small they are', () => {
    const many = Array.from({ length: 50 }, (_, i): [string, string] => [`q${i}`, `a${i}`]);
    const b = new WindowBuilder(1_000_000, 1, 20);
    b.add(newestFirst(...many));
    expect(b.result()).toHaveLength(20);
    expect(b.full).toBe(true);
  });
});
