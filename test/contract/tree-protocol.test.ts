import { buildSendFrames, MAX_MODEL_ID_CHARS, parseClientFrame } from '../../src/contract/protocol';
import { ASYNC_ROUTES, matchHistoryRoute, MESSAGE_ROUTES, REGENERATE_TEMPLATE, SEND_MESSAGE_TEMPLATE } from '../../src/contract/routes';

const M = '7d2e9a0b4c6f4e1a8b3c5d7e9f1a2b3c';
const C = 'x7Kq2mVh9sR4tLp0aB3cDw';
const P = 'Qm1sT0RwY2hZb3V3Z2V0aw';

describe('sendMessage.parentId', () => {
  test('is kept when it is an id and the conversation is named', () => {
    const r = parseClientFrame(JSON.stringify({ action: 'sendMessage', messageId: M, conversationId: C, parentId: P, text: 'hi' }));
    expect(r).toEqual({ ok: true, frame: { action: 'sendMessage', messageId: M, conversationId: C, parentId: P, text: 'hi' } });
  });
  test.each([['short1'], [5], ['x'.repeat(65)], ['bad id!!']])('%p is BAD_REQUEST with the messageId', (parentId) => {
    const r = parseClientFrame(JSON.stringify({ action: 'sendMessage', messageId: M, conversationId: C, parentId, text: 'hi' }));
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', messageId: M } });
  });
  test('needs a conversationId', () => {
    const r = parseClientFrame(JSON.stringify({ action: 'sendMessage', messageId: M, parentId: P, text: 'hi' }));
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', messageId: M } });
  });
  test('goes into every part of a split message', () => {
    const frames = buildSendFrames({ messageId: M, conversationId: C, parentId: P, text: '가'.repeat(16_000) });
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f.parentId).toBe(P);
  });
});

describe('regenerate', () => {
  const base = { action: 'regenerate', messageId: M, conversationId: C, userMessageId: P };
  test('parses', () => {
    expect(parseClientFrame(JSON.stringify(base))).toEqual({ ok: true, frame: base });
    expect(parseClientFrame(JSON.stringify({ ...base, modelId: 'm'.repeat(MAX_MODEL_ID_CHARS) })))
      .toMatchObject({ ok: true, frame: { modelId: 'm'.repeat(MAX_MODEL_ID_CHARS) } });
  });
  test('a modelId over its length, empty or not a string is BAD_REQUEST', () => {
    for (const modelId of ['m'.repeat(MAX_MODEL_ID_CHARS + 1), '', 3]) {
      expect(parseClientFrame(JSON.stringify({ ...base, modelId }))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', messageId: M } });
    }
  });
  test('a regenerate frame is held to the frame byte limit like any frame, at and just over it', () => {
    const frame = (pad: string) => JSON.stringify({ ...base, pad });
    const envelope = Buffer.byteLength(frame(''));
    const limits = { maxInputChars: 16_000, maxFrameBytes: 1000 };
    // Hangul is 3 bytes: pad to exactly the limit, then one byte over.
    const at = '가'.repeat(Math.floor((1000 - envelope) / 3)) + 'a'.repeat((1000 - envelope) % 3);
    expect(Buffer.byteLength(frame(at))).toBe(1000);
    expect(parseClientFrame(frame(at), limits)).toMatchObject({ ok: true });
    expect(parseClientFrame(frame(`${at}a`), limits)).toMatchObject({ ok: false, error: { code: 'TOO_LARGE', messageId: M } });
  });
  test.each(['messageId', 'conversationId', 'userMessageId'])('without a valid %s is BAD_REQUEST', (key) => {
    const r = parseClientFrame(JSON.stringify({ ...base, [key]: 'no' }));
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    if (key !== 'messageId') expect(r).toMatchObject({ error: { messageId: M } });
  });
});

test('regenerate is an asynchronous route with the sendMessage template shape', () => {
  expect(MESSAGE_ROUTES).toContain('regenerate');
  expect(ASYNC_ROUTES.find((r) => r.routeKey === 'regenerate')?.requestTemplate).toBe(REGENERATE_TEMPLATE);
  expect(REGENERATE_TEMPLATE).toBe(SEND_MESSAGE_TEMPLATE.replace('"routeKey":"sendMessage"', '"routeKey":"regenerate"'));
});

test('PUT /conversations/{id}/active is a history route', () => {
  expect(matchHistoryRoute('PUT', `/conversations/${C}/active`)).toMatchObject({
    routeKey: 'PUT /api/conversations/{id}/active', pathParameters: { id: C },
  });
  expect(matchHistoryRoute('POST', `/conversations/${C}/active`)).toBeUndefined();
});

describe('sendMessage.attachmentIds on a split message', () => {
  const files = Array.from({ length: 25 }, (_, i) => `file-${String(i).padStart(59, '0')}`);
  test('every part carries the same list, in order, and each part is within the frame limit with it', () => {
    const frames = buildSendFrames({ messageId: M, conversationId: C, parentId: P, modelId: 'model-a', attachmentIds: files, text: '가'.repeat(16_000) });
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) {
      expect(f.attachmentIds).toEqual(files);
      expect(Buffer.byteLength(JSON.stringify(f))).toBeLessThanOrEqual(32 * 1024);
      expect(parseClientFrame(JSON.stringify(f))).toMatchObject({ ok: true, frame: { attachmentIds: files, part: f.part } });
    }
    expect(frames.map((f) => f.text).join('')).toBe('가'.repeat(16_000));
  });
  test('an empty list is none', () => {
    expect(buildSendFrames({ messageId: M, text: 'hi', attachmentIds: [] })).toEqual([{ action: 'sendMessage', messageId: M, text: 'hi' }]);
  });
});
