import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { buildSendFrames, MAX_INSTRUCTIONS_BYTES } from '../../src/contract/protocol';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { INSTRUCTIONS_HEADING, DEFAULT_SYSTEM_PROMPT } from '../../src/core/prompts';
import * as K from '../../src/core/store/item-keys';
import { placeMessage } from '../../src/core/tree';
import { handler as chat } from '../../src/handlers/chat.lambda';
import { handler as history } from '../../src/handlers/history.lambda';
import type { BrainRequest } from '../../src/local/model/brain';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';
import { startHistoryHttp } from '../support/history-http';

// Issue 11 over the real parts: the chat handler against dynalite, the model server (ConverseStream
// over HTTP, real event-stream encoding) and the @connections endpoint; the history handler behind
// the HTTP API emulator on a real port.

const FAST = 'anthropic.claude-3-haiku-20240307-v1:0';
const STRONG = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
const MODELS = [
  { modelId: FAST, label: { ko: '빠른 모델', en: 'Fast' }, inferenceConfig: { maxTokens: 500 } },
  { modelId: STRONG, label: { ko: '강한 모델', en: 'Strong' }, inferenceConfig: { temperature: 0.2 } },
];

let em: Emulators;
let api: Awaited<ReturnType<typeof startHistoryHttp>>;
beforeAll(async () => {
  em = await startEmulators({ MODEL_ID: FAST, MODELS: JSON.stringify(MODELS) });
  api = await startHistoryHttp(history as any);
});
afterAll(async () => {
  await api.close();
  await em.close();
});
beforeEach(() => { em.brain.script = { tokens: ['답', '입니다'], usage: { inputTokens: 11, outputTokens: 2 } }; });

const streamed = (): BrainRequest[] => em.brain.requests.filter((r) => r.streaming);

/** Sends one frame as `user` on a fresh connection; answers the frames that connection got. */
async function send(user: string, frame: Record<string, unknown>): Promise<any[]> {
  const conn = id('conn');
  await chat(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), ...frame })));
  return em.sink.frames(conn);
}

/** Every item of the user's own partition (conversations, claims, rate counters, instructions…). */
async function userItems(user: string) {
  const r = await em.doc.send(new QueryCommand({
    TableName: em.env.TABLE_NAME,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey },
    ExpressionAttributeValues: { ':pk': K.userPk(user) },
    ConsistentRead: true,
  }));
  return r.Items ?? [];
}

describe('sendMessage.modelId', () => {
  test('a model the deployment does not list is BAD_REQUEST with the messageId: nothing stored, no rate token, no model call', async () => {
    const user = 'mallory';
    const calls = em.brain.requests.length;
    for (const modelId of ['anthropic.claude-3-opus-20240229-v1:0', `${FAST} `, FAST.toUpperCase()]) {
      const messageId = id('msg');
      const frames = await send(user, { messageId, text: '비싼 모델로 답해', modelId });
      expect(frames).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST', messageId, retryable: false })]);
      expect(frames[0].message).toMatch(/modelId/);
    }
    // Not a string at all: refused by the frame parser, with the messageId too.
    const messageId = id('msg');
    expect(await send(user, { messageId, text: '숫자', modelId: 7 })).toEqual([expect.objectContaining({ code: 'BAD_REQUEST', messageId })]);
    expect(await userItems(user)).toEqual([]);
    expect(em.brain.requests.length).toBe(calls);
  });

  test('refused on an existing conversation: its model and its messages stay as they were', async () => {
    const user = 'mallory2';
    const first = await send(user, { text: '첫 질문' });
    const conversationId = first[0].conversationId;
    const before = (await api.send(user, 'GET', `/conversations/${conversationId}/messages`)).body.items;
    const frames = await send(user, { text: '둘째', conversationId, modelId: 'meta.llama3-70b-instruct-v1:0' });
    expect(frames).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST' })]);
    expect((await api.send(user, 'GET', `/conversations/${conversationId}/messages`)).body.items).toEqual(before);
    expect((await api.send(user, 'GET', `/conversations/${conversationId}`)).body.modelId).toBe(FAST);
  });

  test('a conversation switched between two models sends each turn to the right model with its inference config, and remembers the last one', async () => {
    const user = 'switcher';
    const plan: Array<[string | undefined, string]> = [[undefined, FAST], [STRONG, STRONG], [undefined, STRONG], [FAST, FAST], [undefined, FAST]];
    let conversationId: string | undefined;
    const replies: string[] = [];
    for (const [i, [asked, expected]] of plan.entries()) {
      em.brain.script = { tokens: [`답 ${i}`], usage: { inputTokens: 10 + i, outputTokens: i + 1 } };
      const before = streamed().length;
      const frames = await send(user, { text: `질문 ${i}`, ...(conversationId ? { conversationId } : {}), ...(asked ? { modelId: asked } : {}) });
      expect(frames[0]).toMatchObject({ type: 'accepted', modelId: expected });
      expect(frames.find((f) => f.type === 'done')).toMatchObject({ stopReason: 'end_turn' });
      conversationId ??= frames[0].conversationId;
      replies.push(frames[0].replyId);
      const requests = streamed().slice(before);
      expect(requests).toHaveLength(1);
      expect(requests[0].modelId).toBe(expected);
      expect(requests[0].inferenceConfig).toEqual(MODELS.find((m) => m.modelId === expected)!.inferenceConfig);
      expect((await api.send(user, 'GET', `/conversations/${conversationId}`)).body.modelId).toBe(expected);
    }
    // History: each reply says which model wrote it and what it used; the user messages carry neither.
    const page = await api.send(user, 'GET', `/conversations/${conversationId}/messages`);
    const assistant = page.body.items.filter((m: any) => m.role === 'assistant');
    expect(assistant.map((m: any) => [m.messageId, m.modelId, m.usage])).toEqual(
      plan.map(([, expected], i) => [replies[i], expected, { inputTokens: 10 + i, outputTokens: i + 1 }]));
    expect(page.body.items.filter((m: any) => m.role === 'user').every((m: any) => m.modelId === undefined)).toBe(true);
    const list = await api.send(user, 'GET', '/conversations');
    expect(list.body.items).toEqual([expect.objectContaining({ conversationId, modelId: FAST })]);
  });

  test('a new conversation may start on a model that is not the default', async () => {
    const frames = await send('starter', { text: '시작', modelId: STRONG });
    expect(frames[0]).toMatchObject({ type: 'accepted', modelId: STRONG });
    expect(streamed().at(-1)!.modelId).toBe(STRONG);
    expect((await api.send('starter', 'GET', `/conversations/${frames[0].conversationId}`)).body.modelId).toBe(STRONG);
  });

  test('a conversation whose model the deployment no longer lists continues with the default', async () => {
    const user = 'legacy';
    const first = await send(user, { text: '예전 모델', modelId: STRONG });
    const conversationId = first[0].conversationId;
    // The precondition: the list changed after this conversation chose its model.
    await em.doc.send(new UpdateCommand({
      TableName: em.env.TABLE_NAME,
      Key: { [TABLE_SCHEMA.partitionKey]: K.userPk(user), [TABLE_SCHEMA.sortKey]: K.conversationSk(conversationId) },
      UpdateExpression: 'SET modelId = :m',
      ExpressionAttributeValues: { ':m': 'anthropic.claude-v2' },
    }));
    const frames = await send(user, { text: '이어서', conversationId });
    expect(frames[0]).toMatchObject({ type: 'accepted', modelId: FAST });
    expect(streamed().at(-1)!.modelId).toBe(FAST);
    expect((await api.send(user, 'GET', `/conversations/${conversationId}`)).body.modelId).toBe(FAST);
  });

  test('a split message uses the model its parts name', async () => {
    const text = '가'.repeat(4000);
    const frames = buildSendFrames({ messageId: id('msg'), text, modelId: STRONG }, 4096);
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.every((f) => f.modelId === STRONG)).toBe(true);
    const conn = id('conn');
    const before = streamed().length;
    for (const f of frames) await chat(wsEvent('sendMessage', 'splitter', conn, JSON.stringify(f)));
    expect(em.sink.frames(conn)[0]).toMatchObject({ type: 'accepted', modelId: STRONG });
    expect(streamed().slice(before).map((r) => r.modelId)).toEqual([STRONG]);
  });
});

describe('a resend keeps the model chosen when the message was first accepted', () => {
  test('a resend of an answered message, naming another model: the same accepted (with the first model), no new generation', async () => {
    const user = 'resender';
    const messageId = id('msg');
    const first = await send(user, { messageId, text: '한 번', modelId: STRONG });
    const before = streamed().length;
    const again = await send(user, { messageId, text: '한 번', modelId: FAST });
    expect(again.filter((f) => f.type === 'accepted')).toEqual([first[0]]);
    expect(first[0].modelId).toBe(STRONG);
    expect(streamed().length).toBe(before);
  });

  test('a resend that finishes a claimed but unstored turn generates it with the claim\'s model, whatever the resend names', async () => {
    const user = 'finisher';
    const start = await send(user, { text: '대화 시작' });
    const conversationId = start[0].conversationId;
    // The precondition: an invocation claimed the message for STRONG and died before storing its turn.
    const messageId = id('msg');
    // Its place on the tree was decided as the handler decides it: after the conversation's active leaf.
    const root = (await em.store.conversations.get(user, conversationId))?.tree;
    const tree = await placeMessage(em.store.tree!, user, conversationId, root, false);
    if (typeof tree === 'string') throw new Error(`no place for the turn: ${tree}`);
    const claim = { conversationId, replyId: id('reply'), t: Date.now(), text: '이어서', created: false, modelId: STRONG, tree };
    expect(await em.store.claims.put(user, messageId, claim, claim.t)).toBe(true);
    const before = streamed().length;
    const frames = await send(user, { messageId, text: '이어서', conversationId, modelId: FAST });
    expect(frames[0]).toEqual({ type: 'accepted', messageId, conversationId, replyId: claim.replyId, modelId: STRONG });
    expect(streamed().slice(before).map((r) => r.modelId)).toEqual([STRONG]);
    const page = await api.send(user, 'GET', `/conversations/${conversationId}/messages`);
    expect(page.body.items.at(-1)).toMatchObject({ messageId: claim.replyId, modelId: STRONG });
    expect((await api.send(user, 'GET', `/conversations/${conversationId}`)).body.modelId).toBe(STRONG);
  });
});

describe('per-user instructions', () => {
  const hangul = (n: number) => '한'.repeat(n);

  test('none yet: GET answers an empty text; PUT stores, GET reads back; "" clears', async () => {
    expect(await api.send('ina', 'GET', '/instructions')).toMatchObject({ status: 200, body: { text: '' } });
    const put = await api.send('ina', 'PUT', '/instructions', { body: JSON.stringify({ text: '항상 존댓말로 답하세요.' }) });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ text: '항상 존댓말로 답하세요.', updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect((await api.send('ina', 'GET', '/instructions')).body).toEqual(put.body);
    // Another user sees none of them.
    expect((await api.send('other-ina', 'GET', '/instructions')).body).toEqual({ text: '' });
    const cleared = await api.send('ina', 'PUT', '/instructions', { body: JSON.stringify({ text: '' }) });
    expect(cleared).toMatchObject({ status: 200, body: { text: '' } });
    expect((await api.send('ina', 'GET', '/instructions')).body).toEqual({ text: '' });
    expect((await userItems('ina')).filter((i) => i[TABLE_SCHEMA.sortKey] === K.INSTRUCTIONS_SK)).toEqual([]);
  });

  test(`the limit is ${MAX_INSTRUCTIONS_BYTES} UTF-8 bytes: Hangul at the edge is stored, one byte over is 413 TOO_LARGE and stores nothing`, async () => {
    const atLimit = `${hangul(1333)}a`; // 3999 + 1 bytes
    expect(Buffer.byteLength(atLimit)).toBe(MAX_INSTRUCTIONS_BYTES);
    const ok = await api.send('limits', 'PUT', '/instructions', { body: JSON.stringify({ text: atLimit }) });
    expect(ok).toMatchObject({ status: 200, body: { text: atLimit } });
    const over = `${atLimit}b`;
    expect(Buffer.byteLength(over)).toBe(MAX_INSTRUCTIONS_BYTES + 1);
    const refused = await api.send('limits', 'PUT', '/instructions', { body: JSON.stringify({ text: over }) });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining(String(MAX_INSTRUCTIONS_BYTES)) });
    expect((await api.send('limits', 'GET', '/instructions')).body.text).toBe(atLimit);
    // Hangul alone, one character over: 1334 × 3 = 4002 bytes.
    expect((await api.send('limits', 'PUT', '/instructions', { body: JSON.stringify({ text: hangul(1334) }) })).status).toBe(413);
  });

  test('bodies that are not {"text": string} are 400 BAD_REQUEST and change nothing', async () => {
    await api.send('bodies', 'PUT', '/instructions', { body: JSON.stringify({ text: '그대로' }) });
    for (const body of ['not json', '{}', '{"text": 5}', '{"text": null}', '["text"]', 'null']) {
      const r = await api.send('bodies', 'PUT', '/instructions', { body });
      expect([body, r.status, r.body?.code]).toEqual([body, 400, 'BAD_REQUEST']);
    }
    expect((await api.send('bodies', 'GET', '/instructions')).body.text).toBe('그대로');
    // A text that shows nothing clears them rather than adding an empty section to the prompt.
    expect((await api.send('bodies', 'PUT', '/instructions', { body: JSON.stringify({ text: ' \u200b\n' }) })).body.text).toBe('');
  });

  test('the instructions follow the deploy-time system prompt in that user\'s turns only', async () => {
    const text = '답은 항상 세 줄 이내로, 마지막에 "끝."이라고 쓰세요.';
    expect((await api.send('writer', 'PUT', '/instructions', { body: JSON.stringify({ text }) })).status).toBe(200);

    const before = streamed().length;
    await send('writer', { text: '하늘은 왜 파래?' });
    await send('reader', { text: '바다는 왜 파래?' });
    const [writer, reader] = streamed().slice(before);
    expect(writer.messages.at(-1)!.content[0].text).toBe('하늘은 왜 파래?');
    expect(writer.system).toEqual([`${DEFAULT_SYSTEM_PROMPT}\n\n${INSTRUCTIONS_HEADING}\n${text}`]);
    expect(reader.messages.at(-1)!.content[0].text).toBe('바다는 왜 파래?');
    expect(reader.system).toEqual([DEFAULT_SYSTEM_PROMPT]);
    // The title call is not the user's turn: it has its own prompt and no instructions.
    expect(em.brain.requests.filter((r) => !r.streaming).every((r) => !r.system.join('').includes(text))).toBe(true);

    // Cleared: the next turn is back to the deploy-time prompt.
    await api.send('writer', 'PUT', '/instructions', { body: JSON.stringify({ text: '' }) });
    await send('writer', { text: '다시' });
    expect(streamed().at(-1)!.system).toEqual([DEFAULT_SYSTEM_PROMPT]);
  });
});
