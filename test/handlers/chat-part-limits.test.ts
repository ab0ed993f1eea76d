import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { utf8Bytes } from '../../src/contract/protocol';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { realClock } from '../../src/core/adapters/clock';
import { ConnectionOutbox } from '../../src/core/adapters/connections-outbox';
import { PART_BYTES_PER_MESSAGE } from '../../src/core/domain/runtime-limits';
import type { Clock } from '../../src/core/ports/clock';
import { silentTelemetry } from '../../src/core/ports/telemetry';
import * as K from '../../src/core/store/item-keys';
import { ChatHandler, createChatHandler } from '../../src/handlers/chat';
import { chatService, Emulators, id, startEmulators, wsEvent } from '../support/harness';

/**
 * Parts are stored before their message takes its rate token, so they are limited on their own:
 * none while the user's minute has no message left, and at most
 * `rateLimitPerMinute × PART_BYTES_PER_MESSAGE` UTF-8 bytes of part text a minute. A refused part
 * stores nothing and is answered RATE_LIMITED once per message.
 */

let em: Emulators;
const closers: Array<() => void> = [];
/** Mid-minute: every frame of a test counts in one minute. */
const T = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
const clock: Clock = { now: () => T, sleep: (ms, signal) => realClock.sleep(ms, signal) };

beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => {
  closers.forEach((c) => c());
  await em.close();
});
beforeEach(() => { em.brain.script = { tokens: ['네'] }; });

function chatHandler(rateLimitPerMinute: number): ChatHandler {
  const { service, close } = chatService(em, clock, { RATE_LIMIT_PER_MINUTE: String(rateLimitPerMinute) });
  closers.push(close);
  return createChatHandler({ service, telemetry: silentTelemetry, outbox: (t) => new ConnectionOutbox(em.connections, t.connectionId) });
}

const partFrame = (messageId: string, index: number, count: number, text: string) =>
  JSON.stringify({ action: 'sendMessage', messageId, text, part: { index, count } });

/** The stored part items of a message (its `done` marker included). */
async function storedParts(user: string, messageId: string): Promise<number> {
  const r = await em.doc.send(new QueryCommand({
    TableName: em.env.TABLE_NAME,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :p)',
    ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey, '#sk': TABLE_SCHEMA.sortKey },
    ExpressionAttributeValues: { ':pk': K.userPk(user), ':p': K.partPrefix(messageId) },
    ConsistentRead: true,
  }));
  return r.Items?.length ?? 0;
}

const rateLimited = (messageId: string) => expect.objectContaining({ type: 'error', code: 'RATE_LIMITED', retryable: true, messageId });

test('a user with no message left this minute stores no part; each refused message is answered once, not once per part', async () => {
  const user = 'parts-limited';
  const handler = chatHandler(2);
  for (let i = 0; i < 2; i++) {
    const conn = id('conn');
    await handler(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: `질문 ${i}` })));
    expect(em.sink.frames(conn)[0]).toMatchObject({ type: 'accepted' });
  }
  const conn = id('conn');
  const messageId = id('msg');
  const other = id('msg');
  for (let index = 0; index < 3; index++) await handler(wsEvent('sendMessage', user, conn, partFrame(messageId, index, 16, '한'.repeat(10_000))));
  await handler(wsEvent('sendMessage', user, conn, partFrame(other, 0, 2, '나머지')));
  await handler(wsEvent('sendMessage', user, conn, partFrame(other, 1, 2, '조각')));
  expect(em.sink.frames(conn)).toEqual([rateLimited(messageId), rateLimited(other)]);
  expect(await storedParts(user, messageId)).toBe(0);
  expect(await storedParts(user, other)).toBe(0);
});

test(`parts up to exactly rateLimitPerMinute × ${PART_BYTES_PER_MESSAGE} bytes (Hangul, 3 bytes each) are stored; one byte more is RATE_LIMITED and stores nothing`, async () => {
  const user = 'parts-bytes';
  const handler = chatHandler(1);
  const budget = 1 * PART_BYTES_PER_MESSAGE;
  // Four parts of 30,000 bytes and one of the rest: 43,690 characters, far under the budget if it counted characters.
  const texts = [...Array.from({ length: 4 }, () => '한'.repeat(10_000)), '한'.repeat(Math.floor((budget - 120_000) / 3)) + 'a'.repeat((budget - 120_000) % 3)];
  expect(texts.reduce((n, t) => n + utf8Bytes(t), 0)).toBe(budget);
  const conn = id('conn');
  const kept: string[] = [];
  for (const text of texts) {
    const messageId = id('msg');
    kept.push(messageId);
    // Each part opens its own two-part message, which never completes: every byte stays stored.
    await handler(wsEvent('sendMessage', user, conn, partFrame(messageId, 0, 2, text)));
  }
  expect(em.sink.frames(conn)).toEqual([]);
  for (const messageId of kept) expect(await storedParts(user, messageId)).toBe(1);

  const over = id('msg');
  await handler(wsEvent('sendMessage', user, conn, partFrame(over, 0, 2, 'a')));
  await handler(wsEvent('sendMessage', user, conn, partFrame(over, 1, 2, '한')));
  expect(em.sink.frames(conn)).toEqual([rateLimited(over)]);
  expect(await storedParts(user, over)).toBe(0);
});

test('a part that completes its message within the byte budget is answered as before', async () => {
  const user = 'parts-ok';
  const handler = chatHandler(1);
  const conn = id('conn');
  const messageId = id('msg');
  const half = '가'.repeat(8_000);
  await handler(wsEvent('sendMessage', user, conn, partFrame(messageId, 1, 2, half)));
  await handler(wsEvent('sendMessage', user, conn, partFrame(messageId, 0, 2, half)));
  expect(em.sink.frames(conn)[0]).toMatchObject({ type: 'accepted', messageId });
  expect(em.sink.frames(conn).filter((f) => f.type === 'done')).toHaveLength(1);
});
