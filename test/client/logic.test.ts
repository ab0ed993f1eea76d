/**
 * The client's pure decisions, tested directly: Enter-to-send under IME, delta ordering, what a
 * stored reply means, reconnect backoff, language choice, page sizes.
 */
import { pageSizesFrom } from '../../src/client/api';
import { detectLang } from '../../src/client/i18n';
import { IME_PROCESS_KEY_CODE, isSendKey, type KeyInfo } from '../../src/client/keys';
import { classifyDelta, storedOutcome } from '../../src/client/replies';
import { BASE_BACKOFF_MS, MAX_BACKOFF_MS, backoffDelay } from '../../src/client/socket';

const enter: KeyInfo = { key: 'Enter', keyCode: 13, isComposing: false, shiftKey: false, altKey: false };
const idle = { composing: false, justEnded: false };

describe('isSendKey', () => {
  test('a plain Enter sends', () => {
    expect(isSendKey(enter, idle)).toBe(true);
  });
  test('Shift+Enter and Alt+Enter make a new line instead', () => {
    expect(isSendKey({ ...enter, shiftKey: true }, idle)).toBe(false);
    expect(isSendKey({ ...enter, altKey: true }, idle)).toBe(false);
  });
  test('other keys never send', () => {
    expect(isSendKey({ ...enter, key: 'a', keyCode: 65 }, idle)).toBe(false);
  });
  test('Enter flagged isComposing (Chrome, Firefox) does not send', () => {
    expect(isSendKey({ ...enter, isComposing: true }, idle)).toBe(false);
  });
  test('Enter with keyCode 229 (Safari after compositionend) does not send', () => {
    expect(isSendKey({ ...enter, keyCode: IME_PROCESS_KEY_CODE }, idle)).toBe(false);
  });
  test('Enter while a composition is open, or in the task that ended it, does not send', () => {
    expect(isSendKey(enter, { composing: true, justEnded: false })).toBe(false);
    expect(isSendKey(enter, { composing: false, justEnded: true })).toBe(false);
  });
});

describe('classifyDelta', () => {
  test('the expected seq applies, an older one is a duplicate, a later one is a gap', () => {
    expect(classifyDelta(0, 0)).toBe('apply');
    expect(classifyDelta(5, 4)).toBe('duplicate');
    expect(classifyDelta(5, 6)).toBe('gap');
  });
});

describe('storedOutcome', () => {
  const item = { messageId: 'r'.repeat(10), role: 'assistant' as const, text: 'x', createdAt: '2026-01-01T00:00:00.000Z' };
  test('a streaming reply is not final', () => {
    expect(storedOutcome({ ...item, status: 'streaming' })).toEqual({ final: false, reason: 'streaming' });
  });
  test('a stored final status and usage finish the reply', () => {
    expect(storedOutcome({ ...item, status: 'interrupted', usage: { inputTokens: 3, outputTokens: 4 } }))
      .toEqual({ final: true, reason: 'interrupted', usage: { inputTokens: 3, outputTokens: 4 } });
  });
  test('the done frame, when it came, names the stop reason and supplies missing usage', () => {
    const done = { type: 'done' as const, replyId: item.messageId, conversationId: 'c'.repeat(10), stopReason: 'max_tokens' as const, usage: { inputTokens: 1, outputTokens: 2 } };
    expect(storedOutcome({ ...item, status: 'complete' }, done)).toEqual({ final: true, reason: 'max_tokens', usage: done.usage });
  });
});

describe('backoffDelay', () => {
  test('doubles from the base and stays between half and all of its cap', () => {
    expect(backoffDelay(0, 0)).toBe(BASE_BACKOFF_MS / 2);
    expect(backoffDelay(0, 1)).toBe(BASE_BACKOFF_MS);
    expect(backoffDelay(3, 1)).toBe(BASE_BACKOFF_MS * 8);
  });
  test('never exceeds the maximum however many attempts failed', () => {
    expect(backoffDelay(50, 1)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelay(50, 0)).toBe(MAX_BACKOFF_MS / 2);
  });
});

describe('detectLang', () => {
  test('Korean when Korean comes before English among the preferred languages', () => {
    expect(detectLang(['ko-KR', 'en-US'])).toBe('ko');
    expect(detectLang(['fr-FR', 'ko'])).toBe('ko');
  });
  test('English when English comes first or nothing matches', () => {
    expect(detectLang(['en-GB', 'ko-KR'])).toBe('en');
    expect(detectLang(['de-DE'])).toBe('en');
    expect(detectLang([])).toBe('en');
  });
});

describe('pageSizesFrom', () => {
  const store = (value: string | null) => ({ getItem: () => value });
  test('protocol defaults unless a page size of 1–100 is stored', () => {
    expect(pageSizesFrom(store(null))).toEqual({ conversations: 20, messages: 50 });
    expect(pageSizesFrom(store('2'))).toEqual({ conversations: 2, messages: 2 });
    expect(pageSizesFrom(store('100'))).toEqual({ conversations: 100, messages: 100 });
  });
  test('a size of 0, over 100 or not a whole number is ignored', () => {
    for (const bad of ['0', '101', '2.5', 'abc']) expect(pageSizesFrom(store(bad))).toEqual({ conversations: 20, messages: 50 });
  });
});
