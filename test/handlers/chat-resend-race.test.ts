import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { awsFromEnv } from '../../src/contract/env';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { BedrockModel } from '../../src/core/adapters/bedrock-model';
import { realClock } from '../../src/core/adapters/clock';
import { ConnectionOutbox } from '../../src/core/adapters/connections-outbox';
import { createBedrockClient } from '../../src/core/aws';
import { ChatService } from '../../src/core/chat';
import { chatConfigFromEnv } from '../../src/core/config';
import type { Clock } from '../../src/core/ports/clock';
import type { Store } from '../../src/core/ports/store';
import { silentTelemetry } from '../../src/core/ports/telemetry';
import * as K from '../../src/core/store/item-keys';
import { ChatHandler, createChatHandler } from '../../src/handlers/chat';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

/**
 * The same sendMessage frame arriving on several sockets at once (a resend racing its original):
 * every copy is answered `accepted` with the same ids, one turn is stored and generated, and one
 * rate token is spent. A barrier in the store makes the race certain: every copy has read "no
 * claim yet" before any copy goes on to the lease.
 */

let em: Emulators;
let model: BedrockModel;
let closeBedrock: () => void;
/** Mid-minute, so every copy (and the rate counter it spends) is in one minute. */
const T = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
const clock: Clock = { now: () => T, sleep: (ms, signal) => realClock.sleep(ms, signal) };

beforeAll(async () => {
  em = await startEmulators();
  const bedrock = createBedrockClient(awsFromEnv(em.env));
  model = new BedrockModel(bedrock);
  closeBedrock = () => bedrock.destroy();
});
afterAll(async () => {
  closeBedrock();
  await em.close();
});
beforeEach(() => { em.brain.script = { tokens: ['같은 ', '답'] }; });

/** The store, except that the first `copies` claim checks of `messageId` all return only once all have read. */
function barrierStore(messageId: string, copies: number): Store {
  const base = em.store;
  let arrived = 0;
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return {
    conversations: base.conversations,
    messages: base.messages,
    parts: base.parts,
    rates: base.rates,
    instructions: base.instructions,
    claims: {
      put: (...a) => base.claims.put(...a),
      delete: (...a) => base.claims.delete(...a),
      get: async (user, mid) => {
        const claim = await base.claims.get(user, mid);
        if (mid === messageId && arrived < copies) {
          if (++arrived === copies) open();
          await opened;
        }
        return claim;
      },
    },
  };
}

function chatHandler(store: Store): ChatHandler {
  const service = new ChatService({ config: chatConfigFromEnv(em.env), store, model, clock });
  return createChatHandler({ service, telemetry: silentTelemetry, outbox: (t) => new ConnectionOutbox(em.connections, t.connectionId) });
}

const generations = () => em.brain.requests.filter((r) => r.streaming).length;

/** The rate counter item of T's minute as stored: how many messages took a token. */
async function tokensSpent(user: string): Promise<number> {
  const key = { [TABLE_SCHEMA.partitionKey]: K.userPk(user), [TABLE_SCHEMA.sortKey]: K.rateSk(Math.floor(T / 60_000)) };
  const item = (await em.doc.send(new GetCommand({ TableName: em.env.TABLE_NAME, Key: key, ConsistentRead: true }))).Item;
  return Number(item?.n ?? 0);
}

async function stored(user: string, conversationId: string) {
  const items = (await em.store.messages.newestFirst(user, conversationId, 100)).items;
  return { users: items.filter((m) => m.role === 'user'), replies: items.filter((m) => m.role === 'assistant') };
}

/** A conversation with one finished turn, and the tokens its user spent so far. */
async function existingConversation(user: string): Promise<string> {
  const conn = id('conn');
  await chatHandler(em.store)(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '처음' })));
  const accepted = em.sink.frames(conn).find((f) => f.type === 'accepted');
  expect(em.sink.frames(conn).filter((f) => f.type === 'done')).toHaveLength(1);
  return accepted.conversationId;
}

/** Sends `copies` copies of one frame, each on its own socket, through the chat handler; answers each socket's frames. */
async function race(user: string, frame: Record<string, unknown>, copies: number) {
  const handler = chatHandler(barrierStore(frame.messageId as string, copies));
  const conns = Array.from({ length: copies }, () => id('conn'));
  await Promise.all(conns.map((c) => handler(wsEvent('sendMessage', user, c, JSON.stringify(frame)))));
  return conns.map((c) => em.sink.frames(c));
}

/** Every socket got exactly one `accepted`, no error, all with the same ids: answers those ids. */
function sameAccepted(messageId: string, answers: any[][]): { conversationId: string; replyId: string } {
  for (const frames of answers) {
    expect(frames.filter((f) => f.type === 'error')).toEqual([]);
    expect(frames.filter((f) => f.type === 'accepted')).toHaveLength(1);
  }
  const ids = answers.map((frames) => frames.find((f) => f.type === 'accepted'));
  const first = ids[0];
  expect(first).toMatchObject({ messageId, conversationId: expect.any(String), replyId: expect.any(String) });
  for (const a of ids) expect(a).toEqual({ type: 'accepted', messageId, conversationId: first.conversationId, replyId: first.replyId, modelId: em.env.MODEL_ID });
  return first;
}

describe.each([2, 30])('%i concurrent copies of one sendMessage frame', (copies) => {
  test('in an existing conversation: all accepted with the same ids, one turn, one generation, one rate token', async () => {
    const user = `race-old-${copies}`;
    const conversationId = await existingConversation(user);
    const spent = await tokensSpent(user);
    const before = generations();
    const messageId = id('msg');
    const text = `동시에 ${copies}번 보낸 질문`;
    const answers = await race(user, { action: 'sendMessage', messageId, conversationId, text }, copies);

    const ids = sameAccepted(messageId, answers);
    expect(ids.conversationId).toBe(conversationId);
    expect(generations()).toBe(before + 1);
    expect(await tokensSpent(user)).toBe(spent + 1);
    const s = await stored(user, conversationId);
    expect(s.users.filter((m) => m.messageId === messageId).map((m) => m.text)).toEqual([text]);
    expect(s.users).toHaveLength(2);
    expect(s.replies.map((m) => [m.messageId, m.status, m.text])).toEqual(expect.arrayContaining([[ids.replyId, 'complete', '같은 답']]));
    expect(s.replies).toHaveLength(2);
    expect(answers.flat().filter((f) => f.type === 'done')).toEqual([expect.objectContaining({ replyId: ids.replyId })]);
    expect((await em.store.conversations.get(user, conversationId))?.leaseUntil).toBeUndefined();
  });

  test('starting a new conversation: all accepted with the same ids, one conversation, one turn, one generation, one rate token', async () => {
    const user = `race-new-${copies}`;
    const before = generations();
    const messageId = id('msg');
    const text = `새 대화를 ${copies}번 동시에`;
    const answers = await race(user, { action: 'sendMessage', messageId, text }, copies);

    const ids = sameAccepted(messageId, answers);
    expect(generations()).toBe(before + 1);
    expect(await tokensSpent(user)).toBe(1);
    expect((await em.store.conversations.list(user, 100)).items.map((c) => c.conversationId)).toEqual([ids.conversationId]);
    const s = await stored(user, ids.conversationId);
    expect(s.users.map((m) => [m.messageId, m.text])).toEqual([[messageId, text]]);
    expect(s.replies.map((m) => [m.messageId, m.status, m.text])).toEqual([[ids.replyId, 'complete', '같은 답']]);
  });
});

test('a different message while a reply is being generated is BUSY, and spends no rate token', async () => {
  const user = 'race-busy';
  const conversationId = await existingConversation(user);
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => { release = resolve; });
  let started: () => void = () => {};
  const modelStarted = new Promise<void>((resolve) => { started = resolve; });
  // The model waits before its first piece until the test lets it go.
  const held: Clock = { now: () => T, sleep: async () => { started(); await released; } };
  em.brain.script = { tokens: ['긴 ', '답'], firstTokenDelayMs: 1, clock: held };

  const first = id('conn');
  const firstId = id('msg');
  const handler = chatHandler(em.store);
  const generating = handler(wsEvent('sendMessage', user, first, JSON.stringify({ action: 'sendMessage', messageId: firstId, conversationId, text: '하나' })));
  await modelStarted;
  const spent = await tokensSpent(user);
  const other = id('conn');
  const otherId = id('msg');
  await handler(wsEvent('sendMessage', user, other, JSON.stringify({ action: 'sendMessage', messageId: otherId, conversationId, text: '둘' })));
  expect(em.sink.frames(other)).toEqual([expect.objectContaining({ type: 'error', code: 'BUSY', retryable: true, messageId: otherId })]);
  expect(await tokensSpent(user)).toBe(spent);
  release();
  await generating;
  expect(em.sink.frames(first).at(-1)).toMatchObject({ type: 'done', stopReason: 'end_turn' });
  expect((await stored(user, conversationId)).users.map((m) => m.messageId)).not.toContain(otherId);
});
