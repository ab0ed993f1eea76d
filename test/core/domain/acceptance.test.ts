import { invisibleTextMessage } from '../../../src/contract/text-checks';
import { answersClaim, errorFrame, initialTitle, judgeParts, replayable, turnOf } from '../../../src/core/domain/acceptance';
import { INITIAL_TITLE_CHARS } from '../../../src/core/domain/runtime-limits';

const part = (index: number, count: number, text: string, conversationId?: string) =>
  ({ messageId: 'message-01', index, count, text, ...(conversationId ? { conversationId } : {}) });

describe('accepting a message', () => {
  test('refusals a client may resend are retryable; the others are not', () => {
    for (const code of ['BUSY', 'RATE_LIMITED', 'MODEL_THROTTLED', 'INTERNAL'] as const) expect(errorFrame(code, 'x').retryable).toBe(true);
    for (const code of ['BAD_REQUEST', 'TOO_LARGE', 'NOT_FOUND', 'MODEL_ERROR'] as const) expect(errorFrame(code, 'x').retryable).toBe(false);
    expect(errorFrame('BUSY', 'x', { messageId: 'message-01' })).toEqual({ type: 'error', code: 'BUSY', message: 'x', retryable: true, messageId: 'message-01' });
  });

  test(`the first title is the first line's first ${INITIAL_TITLE_CHARS} characters, never half a surrogate pair`, () => {
    expect(initialTitle('  첫 줄\n둘째 줄')).toBe('첫 줄');
    const long = '가'.repeat(INITIAL_TITLE_CHARS) + '나';
    expect(initialTitle(long)).toBe('가'.repeat(INITIAL_TITLE_CHARS));
    expect(initialTitle('😀'.repeat(INITIAL_TITLE_CHARS + 1))).toBe('😀'.repeat(INITIAL_TITLE_CHARS));
  });

  test('a part set waits until all parts are there, then is complete in index order', () => {
    expect(judgeParts([part(1, 2, '뒤')], part(1, 2, '뒤'), 10)).toEqual({ verdict: 'waiting' });
    expect(judgeParts([part(0, 2, '앞'), part(1, 2, '뒤')], part(0, 2, '앞'), 10)).toEqual({ verdict: 'complete', text: '앞뒤' });
  });

  test('the character limit counts code points of the whole set: at the limit complete, one over refused at once', () => {
    const at = [part(0, 2, '가'.repeat(5)), part(1, 2, '나'.repeat(5))];
    expect(judgeParts(at, at[1], 10)).toMatchObject({ verdict: 'complete' });
    const over = [part(0, 3, '가'.repeat(6)), part(1, 3, '나'.repeat(5))];
    expect(judgeParts(over, over[1], 10)).toMatchObject({ verdict: 'refused', error: { code: 'TOO_LARGE', messageId: 'message-01' } });
  });

  test('parts that disagree on count or conversation are refused; an all-blank set is empty', () => {
    expect(judgeParts([part(0, 2, 'a'), part(1, 3, 'b')], part(1, 3, 'b'), 10)).toMatchObject({ verdict: 'refused', error: { code: 'BAD_REQUEST' } });
    expect(judgeParts([part(0, 2, 'a', 'conv-0001'), part(1, 2, 'b')], part(1, 2, 'b'), 10))
      .toMatchObject({ verdict: 'refused', error: { code: 'BAD_REQUEST' } });
    expect(judgeParts([part(0, 2, ' '), part(1, 2, '\n')], part(1, 2, '\n'), 10))
      .toMatchObject({ verdict: 'refused', error: { code: 'BAD_REQUEST', message: invisibleTextMessage('message') } });
    expect(judgeParts([part(0, 2, '\u200B'), part(1, 2, '\u0000')], part(1, 2, '\u0000'), 10))
      .toMatchObject({ verdict: 'refused', error: { code: 'BAD_REQUEST', message: invisibleTextMessage('message') } });
  });

  test('parts that disagree on parentId, modelId or attachmentIds (ids or their order) are refused; agreeing ones complete', () => {
    const same = { conversationId: 'conv-0001', parentId: 'parent-01', modelId: 'model-a', attachmentIds: ['file-0001', 'file-0002'] };
    const with_ = (index: number, extra: object) => ({ ...part(index, 2, index ? '뒤' : '앞'), ...same, ...extra });
    expect(judgeParts([with_(0, {}), with_(1, {})], with_(1, {}), 10)).toEqual({ verdict: 'complete', text: '앞뒤' });
    const unlike = [
      { parentId: 'parent-02' }, { parentId: undefined }, { modelId: 'model-b' }, { modelId: undefined },
      { attachmentIds: ['file-0002', 'file-0001'] }, { attachmentIds: ['file-0001'] }, { attachmentIds: undefined },
      { attachmentIds: ['file-0001', 'file-0002', 'file-0003'] },
    ];
    for (const extra of unlike) {
      // Whichever part arrives second, and before the set is complete.
      for (const [a, b] of [[with_(0, {}), with_(1, extra)], [with_(1, extra), with_(0, {})]]) {
        const parts = [a, b].sort((x, y) => x.index - y.index);
        expect([extra, judgeParts(parts, b, 10)]).toEqual([extra, { verdict: 'refused', error: expect.objectContaining({ code: 'BAD_REQUEST', messageId: 'message-01' }) }]);
      }
      const three = [with_(0, {}), { ...with_(1, extra), count: 3 }].map((p) => ({ ...p, count: 3 }));
      expect(judgeParts(three, three[1], 10)).toMatchObject({ verdict: 'refused' });
    }
  });

  test('a claimed message is answered by its whole frame, its part 0, or the part that completed the set — no other part', () => {
    expect(answersClaim(undefined, false)).toBe(true);
    expect(answersClaim({ index: 0, count: 3 }, false)).toBe(true);
    expect(answersClaim({ index: 2, count: 3 }, false)).toBe(false);
    expect(answersClaim({ index: 2, count: 3 }, true)).toBe(true);
  });

  test('a claim replays its turn only when it kept the text; the turn\'s keys all come from the claim', () => {
    const claim = { conversationId: 'conv-0001', replyId: 'reply-0001', t: 1_800_000_000_000 };
    expect(replayable(claim)).toBe(false);
    expect(replayable({ ...claim, text: '' })).toBe(true);
    expect(turnOf('message-01', claim)).toEqual({ conversationId: 'conv-0001', t: 1_800_000_000_000, messageId: 'message-01', replyId: 'reply-0001' });
  });
});
