import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { RefusingDynamo, startRefusingDynamo } from './refusing-dynamo';
import { awsFromEnv } from '../../src/contract/env';
import { buildSendFrames } from '../../src/contract/protocol';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { BedrockModel } from '../../src/core/adapters/bedrock-model';
import { createBedrockClient, createDocumentClient } from '../../src/core/aws';
import { ChatService } from '../../src/core/chat';
import { chatConfigFromEnv } from '../../src/core/config';
import { LEASE_MS } from '../../src/core/domain/runtime-limits';
import { ConversationStore } from '../../src/core/store';
import * as K from '../../src/core/store/item-keys';
import { Emulators, id, outbox, startEmulators } from '../support/harness';

/**
 * A message is claimed (conditional put on its id) before its turn is stored. These tests leave
 * the claim without its turn — DynamoDB refusing the turn's write until the SDK gives up, or the
 * claiming invocation dying between the writes — and prove the resend stores and answers it
 * exactly once.
 */

let em: Emulators;
let proxy: RefusingDynamo;
let service: ChatService;
const closers: Array<() => void> = [];

beforeAll(async () => {
  em = await startEmulators();
  proxy = await startRefusingDynamo(em.env.DYNAMODB_ENDPOINT);
  const env = { ...em.env, DYNAMODB_ENDPOINT: proxy.endpoint };
  const doc = createDocumentClient(awsFromEnv(env));
  const bedrock = createBedrockClient(awsFromEnv(env));
  const store = new ConversationStore(doc, em.env.TABLE_NAME);
  service = new ChatService({ config: chatConfigFromEnv(env), store, model: new BedrockModel(bedrock) });
  closers.push(() => doc.destroy(), () => bedrock.destroy());
});
afterAll(async () => {
  closers.forEach((c) => c());
  await proxy.close();
  await em.close();
});
beforeEach(() => {
  proxy.refuse.clear();
  em.brain.script = { tokens: ['다시 ', '보낸 ', '답'] };
});

const send = (user: string, conn: string, frame: object) => service.handleFrame(user, JSON.stringify(frame), outbox(em, conn));
const generations = () => em.brain.requests.filter((r) => r.streaming).length;

async function stored(user: string, conversationId: string) {
  const items = (await em.store.messages.newestFirst(user, conversationId, 100)).items;
  return { users: items.filter((m) => m.role === 'user'), replies: items.filter((m) => m.role === 'assistant') };
}

describe('a claimed message whose turn was not stored', () => {
  test('when DynamoDB keeps refusing the turn: INTERNAL (retryable), then the resend stores it once and answers it', async () => {
    const user = 'refused';
    const messageId = id('msg');
    const frame = { action: 'sendMessage', messageId, text: '저장이 거절된 질문' };
    const c1 = id('conn');
    proxy.refuse.add('BatchWriteItem');
    await send(user, c1, frame);
    expect(proxy.refused).toBeGreaterThan(1); // the SDK retried before giving up
    expect(em.sink.frames(c1)).toEqual([expect.objectContaining({ type: 'error', code: 'INTERNAL', retryable: true, messageId })]);
    const claim = (await em.store.claims.get(user, messageId))!;
    expect((await stored(user, claim.conversationId)).users).toEqual([]);

    proxy.refuse.clear();
    const before = generations();
    const c2 = id('conn');
    await send(user, c2, frame);
    const out = em.sink.frames(c2);
    expect(out[0]).toEqual({ type: 'accepted', messageId, conversationId: claim.conversationId, replyId: claim.replyId, modelId: em.env.MODEL_ID });
    expect(out.find((f) => f.type === 'done')).toMatchObject({ replyId: claim.replyId, stopReason: 'end_turn' });
    expect(generations()).toBe(before + 1);
    const s = await stored(user, claim.conversationId);
    expect(s.users.map((m) => [m.messageId, m.text])).toEqual([[messageId, '저장이 거절된 질문']]);
    expect(s.replies.map((m) => [m.messageId, m.status, m.text])).toEqual([[claim.replyId, 'complete', '다시 보낸 답']]);
    expect((await em.store.conversations.get(user, claim.conversationId))?.leaseUntil).toBeUndefined();

    // Once stored, a further resend only answers accepted.
    const c3 = id('conn');
    await send(user, c3, frame);
    expect(em.sink.frames(c3)).toEqual([out[0]]);
    expect(generations()).toBe(before + 1);
    expect((await stored(user, claim.conversationId)).users).toHaveLength(1);
  });

  test.each([
    ['after its claim', false],
    ['after its claim and the user message', true],
  ])('when the claiming invocation died %s: three concurrent resends store it once and generate once', async (_, wroteUserMessage) => {
    const user = `died-${wroteUserMessage ? 'late' : 'early'}`;
    const messageId = id('msg');
    const conversationId = id('conv');
    const replyId = id('reply');
    const text = '죽기 전에 받은 질문';
    const t = Date.now();
    // What the dead invocation left: a new conversation leased to its reply, and the claim.
    expect(await em.store.conversations.create(user, conversationId, text, t, replyId, t + LEASE_MS)).toBe(true);
    expect(await em.store.claims.put(user, messageId, { conversationId, replyId, t, text, created: true }, t)).toBe(true);
    if (wroteUserMessage) {
      await em.doc.send(new PutCommand({
        TableName: em.env.TABLE_NAME,
        Item: {
          [TABLE_SCHEMA.partitionKey]: K.messagesPk(user, conversationId),
          [TABLE_SCHEMA.sortKey]: K.messageSk(t, 'user', messageId),
          messageId,
          role: 'user',
          text,
          status: 'complete',
          createdAt: new Date(t).toISOString(),
        },
      }));
    }

    const before = generations();
    const conns = [id('conn'), id('conn'), id('conn')];
    await Promise.all(conns.map((c) => send(user, c, { action: 'sendMessage', messageId, text })));
    const accepted = { type: 'accepted', messageId, conversationId, replyId, modelId: em.env.MODEL_ID };
    for (const c of conns) expect(em.sink.frames(c).filter((f) => f.type === 'accepted')).toEqual([accepted]);
    expect(conns.filter((c) => em.sink.frames(c).some((f) => f.type === 'done'))).toHaveLength(1);
    expect(generations()).toBe(before + 1);
    const s = await stored(user, conversationId);
    expect(s.users.map((m) => m.messageId)).toEqual([messageId]);
    expect(s.replies.map((m) => [m.messageId, m.status, m.text])).toEqual([[replyId, 'complete', '다시 보낸 답']]);
  });

  test('when DynamoDB refuses the claim itself: INTERNAL, the conversation is not left leased, and the resend is answered at once', async () => {
    const user = 'claim-refused';
    const c0 = id('conn');
    await send(user, c0, { action: 'sendMessage', messageId: id('msg'), text: '처음' });
    const { conversationId } = em.sink.frames(c0)[0];
    const messageId = id('msg');
    const frame = { action: 'sendMessage', messageId, text: '청구가 거절된 질문', conversationId };
    const c1 = id('conn');
    proxy.refuse.add('PutItem');
    await send(user, c1, frame);
    expect(em.sink.frames(c1)).toEqual([expect.objectContaining({ type: 'error', code: 'INTERNAL', retryable: true, messageId })]);
    expect(await em.store.claims.get(user, messageId)).toBeUndefined();
    expect((await em.store.conversations.get(user, conversationId))?.leaseUntil).toBeUndefined();

    proxy.refuse.clear();
    const c2 = id('conn');
    await send(user, c2, frame);
    expect(em.sink.frames(c2).map((f) => f.type)).toEqual(expect.arrayContaining(['accepted', 'done']));
    expect((await stored(user, conversationId)).users.map((m) => m.text)).toEqual(['청구가 거절된 질문', '처음']);
  });

  test('when the history window cannot be read after accepted: the reply is stored as error, the client told with its replyId, the conversation freed', async () => {
    const user = 'window-refused';
    const c0 = id('conn');
    await send(user, c0, { action: 'sendMessage', messageId: id('msg'), text: '첫 질문' });
    const [first] = em.sink.frames(c0);
    const messageId = id('msg');
    const c1 = id('conn');
    // The window of a second message: its ancestors, read in one BatchGetItem after accepted (a
    // legacy conversation's by Query). Placing the message reads its one parent with GetItem.
    proxy.refuse.add('Query');
    proxy.refuse.add('BatchGetItem');
    const before = generations();
    await send(user, c1, { action: 'sendMessage', messageId, text: '창이 안 읽히는 질문', conversationId: first.conversationId });
    proxy.refuse.clear();
    const [accepted, ...rest] = em.sink.frames(c1);
    expect(accepted).toMatchObject({ type: 'accepted', messageId });
    expect(rest).toEqual([expect.objectContaining({ type: 'error', code: 'INTERNAL', retryable: true, replyId: accepted.replyId })]);
    expect(generations()).toBe(before);
    const s = await stored(user, accepted.conversationId);
    expect(s.replies.map((m) => [m.messageId, m.status])).toEqual([[accepted.replyId, 'error'], [first.replyId, 'complete']]); // newest first
    expect((await em.store.conversations.get(user, accepted.conversationId))?.leaseUntil).toBeUndefined();
  });

  test('a split message whose turn DynamoDB kept refusing is finished by its resent parts and accepted once', async () => {
    const user = 'refused-parts';
    const messageId = id('msg');
    const text = '나뉜'.repeat(7_000); // 42,000 bytes: two frames
    const frames = buildSendFrames({ messageId, text });
    expect(frames.length).toBe(2);
    const c1 = id('conn');
    proxy.refuse.add('BatchWriteItem');
    for (const f of frames) await send(user, c1, f);
    expect(em.sink.frames(c1)).toEqual([expect.objectContaining({ type: 'error', code: 'INTERNAL', retryable: true, messageId })]);

    proxy.refuse.clear();
    const c2 = id('conn');
    await Promise.all(frames.map((f) => send(user, c2, f)));
    const out = em.sink.frames(c2);
    expect(out.filter((f) => f.type === 'accepted')).toHaveLength(1);
    expect(out.filter((f) => f.type === 'done')).toHaveLength(1);
    const claim = (await em.store.claims.get(user, messageId))!;
    const s = await stored(user, claim.conversationId);
    expect(s.users.map((m) => m.text)).toEqual([text]);
    expect(s.replies.map((m) => m.status)).toEqual(['complete']);
  });

  test('a split message refused with BUSY is accepted once when its parts are resent', async () => {
    const user = 'busy-parts';
    const conversationId = id('conv');
    const holder = id('reply');
    const now = Date.now();
    expect(await em.store.conversations.create(user, conversationId, 'busy', now, holder, now + LEASE_MS)).toBe(true);
    const messageId = id('msg');
    const frames = buildSendFrames({ messageId, text: '바쁨'.repeat(7_000), conversationId });
    const c1 = id('conn');
    await Promise.all(frames.map((f) => send(user, c1, f)));
    expect(em.sink.frames(c1)).toEqual([expect.objectContaining({ type: 'error', code: 'BUSY', retryable: true, messageId })]);

    expect(await em.store.conversations.releaseLease(user, conversationId, holder)).toBe(true);
    const c2 = id('conn');
    await Promise.all(frames.map((f) => send(user, c2, f)));
    const out = em.sink.frames(c2);
    expect(out.filter((f) => f.type === 'accepted')).toEqual([expect.objectContaining({ messageId, conversationId })]);
    expect((await stored(user, conversationId)).users.map((m) => m.messageId)).toEqual([messageId]);
  });
});
