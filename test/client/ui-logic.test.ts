/** Pure logic of the page chrome: sidebar date groups and the wait for `accepted`. */
import { dateGroup } from '../../src/client/date-groups';
import { ACCEPT_TIMEOUT_MS, acceptTimeoutFrom, acceptWait, MAX_RESENDS } from '../../src/client/replies';

describe('dateGroup (local time of the process)', () => {
  // 2026-03-10 00:30 local: just after midnight, where off-by-one-day mistakes show.
  const now = new Date(2026, 2, 10, 0, 30);
  const at = (y: number, m: number, d: number, h = 12, min = 0) => new Date(y, m, d, h, min).toISOString();
  test('since local midnight is today, and a time in the future (clock skew) too', () => {
    expect(dateGroup(at(2026, 2, 10, 0, 0), now)).toBe('today');
    expect(dateGroup(at(2026, 2, 11), now)).toBe('today');
  });
  test('the calendar day before is yesterday, to its first minute', () => {
    expect(dateGroup(at(2026, 2, 9, 23, 59), now)).toBe('yesterday');
    expect(dateGroup(at(2026, 2, 9, 0, 0), now)).toBe('yesterday');
    expect(dateGroup(at(2026, 2, 8, 23, 59), now)).toBe('week');
  });
  test('the 7 days before today\'s midnight are the previous 7 days; before that is older', () => {
    expect(dateGroup(at(2026, 2, 3, 0, 0), now)).toBe('week');
    expect(dateGroup(at(2026, 2, 2, 23, 59), now)).toBe('older');
    expect(dateGroup('not a date', now)).toBe('older');
  });
});

describe('the wait for accepted', () => {
  test('doubles per resend: 4 s, 8 s, 16 s by default (28 s until Retry)', () => {
    expect([0, 1, 2].map((n) => acceptWait(n))).toEqual([4000, 8000, 16000]);
    expect(MAX_RESENDS).toBe(2);
    expect(Array.from({ length: MAX_RESENDS + 1 }, (_, n) => acceptWait(n)).reduce((a, b) => a + b)).toBe(28_000);
  });
  test('localStorage chatbot.acceptTimeoutMs shortens it within 100–60000 ms; anything else keeps the default', () => {
    const storage = (v: string | null) => ({ getItem: () => v });
    expect(acceptTimeoutFrom(storage('100'))).toBe(100);
    expect(acceptTimeoutFrom(storage('60000'))).toBe(60_000);
    for (const bad of ['99', '60001', '1.5', 'x', '', null]) expect(acceptTimeoutFrom(storage(bad))).toBe(ACCEPT_TIMEOUT_MS);
  });
});
