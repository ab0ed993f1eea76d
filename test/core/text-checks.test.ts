import { checkMessageText, parseClientFrame } from '../../src/contract/protocol';
import { hasVisibleText } from '../../src/contract/text-checks';

describe('hasVisibleText', () => {
  test.each([
    ['', false], [' ', false], ['\u200B', false], ['\u200C', false], ['\u200D', false], ['\u2060', false], ['\uFEFF', false],
    ['\u0000', false], ['\u0007\u001B\u007F\u0085', false], ['\u00AD', false], ['\u3164', false], ['\u115F\u1160\uFFA0', false],
    ['\u2800', false], ['\uFE0F', false], ['\u034F', false], ['\ud800', false], ['\u{E0020}', false], ['\u3000\u00A0\u2028', false],
    ['a', true], ['한', true], ['\u200B한\u200B', true], ['\u0000x', true], ['😀', true], ['\uFEFF.', true], ['👍\uFE0F', true],
  ])('%j → %s', (text, visible) => {
    expect(hasVisibleText(text)).toBe(visible);
  });

  test('parseClientFrame refuses an invisible single frame with its messageId; a part is checked after assembly', () => {
    const r = parseClientFrame(JSON.stringify({ action: 'sendMessage', messageId: 'msg-0001', text: '\u200B\u0000' }));
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST', messageId: 'msg-0001' }) });
    expect(parseClientFrame(JSON.stringify({ action: 'sendMessage', messageId: 'msg-0001', text: '\u200B', part: { index: 0, count: 2 } })).ok).toBe(true);
    expect(checkMessageText('\u200B\u200B')).toMatchObject({ code: 'BAD_REQUEST' });
    expect(checkMessageText('a\u200B')).toBeUndefined();
  });
});
