import type { MessageStatus, StopReason } from '../../../src/contract/protocol';
import {
  DELETED_FAILURE, endsStream, finalFrame, nextReplyState, releasesLease, REPLY_TRANSITIONS, ReplyEvent, ReplyState, storedEnding,
} from '../../../src/core/domain/reply';

const run = (...events: ReplyEvent[]): ReplyState => events.reduce(nextReplyState, 'streaming' as ReplyState);
const ids = { replyId: 'reply-0001', conversationId: 'conv-0001' };
const usage = { inputTokens: 3, outputTokens: 4 };

describe('the reply lifecycle table', () => {
  test.each<[ReplyEvent, ReplyState]>([
    ['modelEnded', 'finished'],
    ['modelFailed', 'failed'],
    ['tooLong', 'truncated'],
    ['stopRequested', 'stopped'],
    ['deadline', 'interrupted'],
    ['leaseLost', 'lapsed'],
    ['replyGone', 'deleted'],
  ])('a streaming reply on %s is %s', (event, state) => {
    expect(run(event)).toBe(state);
  });

  test('the first ending wins: a later stop, deadline or cut changes nothing, and the stream ending after them neither', () => {
    expect(run('stopRequested', 'deadline', 'tooLong', 'modelEnded')).toBe('stopped');
    expect(run('tooLong', 'stopRequested', 'modelEnded')).toBe('truncated');
    expect(run('deadline', 'stopRequested', 'modelEnded')).toBe('interrupted');
    expect(run('modelEnded', 'stopRequested', 'deadline')).toBe('finished');
  });

  test('a failure outranks a cut, a stop or a deadline; a vanished reply outranks every ending but a failure', () => {
    for (const first of ['stopRequested', 'deadline', 'tooLong'] as const) expect(run(first, 'modelFailed')).toBe('failed');
    for (const first of ['stopRequested', 'deadline', 'tooLong', 'modelEnded'] as const) expect(run(first, 'replyGone')).toBe('deleted');
    expect(run('replyGone', 'modelFailed')).toBe('failed');
    expect(run('modelFailed', 'replyGone')).toBe('failed');
    expect(REPLY_TRANSITIONS.failed).toEqual({});
  });

  test('the stream is aborted exactly when the reply ended before the model did', () => {
    expect(endsStream('streaming')).toBe(false);
    expect(endsStream('finished')).toBe(false);
    for (const s of ['truncated', 'stopped', 'interrupted', 'lapsed', 'failed', 'deleted'] as const) expect(endsStream(s)).toBe(true);
  });

  test('a lapsed lease: the first ending wins over it and after it; the cut model failing changes nothing; a vanished reply outranks it', () => {
    expect(run('stopRequested', 'leaseLost')).toBe('stopped');
    expect(run('deadline', 'leaseLost')).toBe('interrupted');
    expect(run('leaseLost', 'stopRequested', 'deadline', 'tooLong', 'modelEnded')).toBe('lapsed');
    expect(run('leaseLost', 'modelFailed')).toBe('lapsed');
    expect(run('leaseLost', 'replyGone')).toBe('deleted');
  });

  test('only a lapsed or deleted reply leaves the lease and the conversation alone', () => {
    const leaving = (Object.keys(REPLY_TRANSITIONS) as ReplyState[]).filter((s) => !releasesLease(s));
    expect(leaving.sort()).toEqual(['deleted', 'lapsed']);
  });
});

describe('what an ending stores and tells the client', () => {
  test.each<[ReplyState, StopReason, MessageStatus, StopReason | undefined]>([
    ['finished', 'end_turn', 'complete', 'end_turn'],
    ['finished', 'stop_sequence', 'complete', 'stop_sequence'],
    ['finished', 'content_filtered', 'complete', 'content_filtered'],
    ['truncated', 'stopped', 'complete', 'max_tokens'],
    ['stopped', 'stopped', 'stopped', 'stopped'],
    ['stopped', 'end_turn', 'stopped', 'stopped'],
    ['interrupted', 'stopped', 'interrupted', 'interrupted'],
    ['lapsed', 'end_turn', 'interrupted', 'interrupted'],
    ['failed', 'end_turn', 'error', undefined],
  ])('%s (model said %s) is stored %s with stop reason %s', (state, model, status, stopReason) => {
    expect(storedEnding(state, model)).toEqual(stopReason ? { status, stopReason } : { status });
  });

  test('every stored status and stop reason is a wire value of PROTOCOL (no new names)', () => {
    const statuses: MessageStatus[] = ['complete', 'streaming', 'stopped', 'error', 'interrupted'];
    const reasons: StopReason[] = ['end_turn', 'max_tokens', 'stop_sequence', 'stopped', 'content_filtered', 'interrupted'];
    for (const state of Object.keys(REPLY_TRANSITIONS) as ReplyState[]) {
      for (const model of reasons) {
        const e = storedEnding(state, model);
        expect(statuses).toContain(e.status);
        if (e.stopReason !== undefined) expect(reasons).toContain(e.stopReason);
      }
    }
  });

  test('a reply ends with done, or with error for a failure (its own code) or a vanished conversation (NOT_FOUND)', () => {
    expect(finalFrame('stopped', ids, 'stopped', usage)).toEqual({ type: 'done', ...ids, stopReason: 'stopped', usage });
    expect(finalFrame('finished', ids, undefined, usage)).toMatchObject({ type: 'done', stopReason: 'end_turn' });
    const failure = { code: 'MODEL_THROTTLED' as const, message: 'busy', retryable: true };
    expect(finalFrame('failed', ids, undefined, usage, failure)).toEqual({ type: 'error', ...failure, replyId: ids.replyId });
    expect(finalFrame('deleted', ids, 'end_turn', usage)).toEqual({ type: 'error', ...DELETED_FAILURE, replyId: ids.replyId });
    expect(finalFrame('lapsed', ids, 'interrupted', usage)).toEqual({ type: 'done', ...ids, stopReason: 'interrupted', usage });
  });
});
