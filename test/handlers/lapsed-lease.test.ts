import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsFromEnv } from '../../src/contract/env';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { BedrockModel } from '../../src/core/adapters/bedrock-model';
import { realClock } from '../../src/core/adapters/clock';
import { createBedrockClient } from '../../src/core/aws';
import { ChatService } from '../../src/core/chat';
import { chatConfigFromEnv } from '../../src/core/config';
import { IDLE_CHECKPOINT_MS, INTERRUPTED_AFTER_MS, LEASE_MS, LEASE_RENEW_MS, LEASE_SAFETY_MS } from '../../src/core/domain/runtime-limits';
import { deleteConversation } from '../../src/core/history';
import type { Clock } from '../../src/core/ports/clock';
import { silentTelemetry } from '../../src/core/ports/telemetry';
import { ConversationStore } from '../../src/core/store';
import { createChatHandler } from '../../src/handlers/chat';
import { GatedDoc } from '../support/gated-doc';
import { Emulators, id, outbox, startEmulators, wsEvent } from '../support/harness';

// A generator whose lease lapsed (the process was paused past it) or was taken by another reply
// stops writing and ends its reply `interrupted` (issue 14.5); its watcher renews and
// checkpoints only when due (issue 13), and still sees a deletion within a bounded time. The pause is a jump of the
// injected clock, made while the model is held between two pieces, so "after the jump" is exact.

const { partitionKey: PK, sortKey: SK } = TABLE_SCHEMA;

let em: Emulators;
let recorder: GatedDoc;
let chat: ReturnType<typeof createChatHandler>;
let closeModel: () => void;
/** The runtime's clock: the wall clock plus a jump the test makes. */
let jumped = 0;
const clock: Clock = { now: () => Date.now() + jumped, sleep: (ms, signal) => realClock.sleep(ms, signal) };

beforeAll(async () => {
  em = await startEmulators();
  recorder = new GatedDoc(em.doc, clock.now);
  const bedrock = createBedrockClient(awsFromEnv(em.env));
  closeModel = () => bedrock.destroy();
  const service = new ChatService({
    config: chatConfigFromEnv(em.env), store: new ConversationStore(recorder.doc, em.env.TABLE_NAME), model: new BedrockModel(bedrock), clock,
  });
  chat = createChatHandler({ service, outbox: (t) => outbox(em, t.connectionId), telemetry: silentTelemetry });
});
afterAll(async () => { closeModel(); await em.close(); });

const send = (user: string, conn: string, frame: object) => chat(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', ...frame })));

/**
 * A model clock that holds the scripted model before piece `index` until `open` is called or
 * the model's request is aborted (the generator cut the stream). The brain sleeps before every
 * piece after the first when `intervalMs` is set.
 */
function holdBefore(index: number) {
  let open = () => {};
  const opened = new Promise<void>((r) => { open = r; });
  let sleeps = 0;
  const modelClock: Clock = {
    now: () => Date.now(),
    sleep: (_ms, signal) => (++sleeps !== index ? Promise.resolve() : new Promise<void>((r) => {
      if (signal?.aborted) return r();
      signal?.addEventListener('abort', () => r(), { once: true });
      void opened.then(r);
    })),
  };
  return { modelClock, open };
}

const HEAD = ['앞부분 ', '까지만 '];
const TAIL = Array.from({ length: 20 }, (_, i) => `뒷부분${i} `);

/** Starts a reply that streams HEAD and then waits before TAIL; answers when HEAD was posted. */
async function startHeld(user: string) {
  const held = holdBefore(HEAD.length);
  em.brain.script = { tokens: [...HEAD, ...TAIL], intervalMs: 1, clock: held.modelClock };
  const conn = id('conn');
  const sending = send(user, conn, { messageId: id('msg'), text: '길게 답해줘' });
  const accepted = await em.sink.waitFor((f, c) => c === conn && f.type === 'accepted');
  await em.sink.waitFor((_f, c) => c === conn && deltaText(conn) === HEAD.join(''));
  return { conn, sending, accepted, open: held.open };
}

const deltaText = (conn: string) => em.sink.frames(conn).filter((f) => f.type === 'delta').map((f) => f.text).join('');

/** Writes the first reply sent at or after `from`: updates of its reply item, and conversation writes made as its lease holder. */
function writesOf(replyId: string, from: number) {
  return recorder.sent.filter(({ command, at }) => at >= from && command instanceof UpdateCommand).map(({ command }) => command.input)
    // A next turn adding itself to the reply's children (docs/TABLE.md §8) is that turn's write, not the reply's.
    .filter((input) => !String(input.UpdateExpression).startsWith('SET kids = '))
    .filter((input) => String(input.Key?.[SK]).endsWith(`#${replyId}`) || input.ExpressionAttributeValues?.[':me'] === replyId
      || input.ExpressionAttributeValues?.[':r'] === replyId);
}

async function storedReply(user: string, conversationId: string, replyId: string) {
  return (await em.store.messages.newestFirst(user, conversationId, 100)).items.find((m) => m.messageId === replyId);
}

describe('a reply whose lease lapsed or was taken', () => {
  test('a pause past the lease: the reply stops before its next write, ends interrupted, and a second message generates alone', async () => {
    const user = id('paused');
    const first = await startHeld(user);
    const { conversationId, replyId } = first.accepted;

    // The process "sleeps" past its lease: every clock read from here on is after it.
    jumped += LEASE_MS + 10_000;
    const jumpAt = clock.now();

    em.brain.script = { tokens: ['둘째 ', '답'] };
    const conn2 = id('conn');
    await send(user, conn2, { messageId: id('msg'), text: '다음 질문', conversationId });
    const second = em.sink.frames(conn2);
    expect(second[0]).toMatchObject({ type: 'accepted', conversationId });
    expect(second.at(-1)).toMatchObject({ type: 'done', replyId: second[0].replyId, stopReason: 'end_turn' });
    expect(second.filter((f) => f.type === 'delta').map((f) => f.text).join('')).toBe('둘째 답');

    first.open();
    await first.sending;
    // Nothing of the first reply after the jump but its own ending: no delta, no checkpoint,
    // no lease renewal or release.
    const frames = em.sink.frames(first.conn);
    expect(deltaText(first.conn)).toBe(HEAD.join(''));
    expect(frames.at(-1)).toEqual({ type: 'done', replyId, conversationId, stopReason: 'interrupted', usage: { inputTokens: 0, outputTokens: 0 } });
    const after = writesOf(replyId, jumpAt);
    expect(after).toHaveLength(1);
    expect(after[0].ExpressionAttributeValues).toMatchObject({ ':s': 'interrupted', ':t': HEAD.join('') });
    expect(await storedReply(user, conversationId, replyId)).toMatchObject({ status: 'interrupted', text: HEAD.join('') });
    expect(await storedReply(user, conversationId, second[0].replyId)).toMatchObject({ status: 'complete', text: '둘째 답' });
    // The second reply released its lease; the first never took the conversation back.
    const conversation = await em.store.conversations.get(user, conversationId);
    expect(conversation?.leaseReplyId).toBeUndefined();
  });

  test('a renewal that finds another reply holding the lease ends the reply interrupted and leaves that lease alone', async () => {
    const user = id('taken');
    const first = await startHeld(user);
    const { conversationId, replyId } = first.accepted;
    // Another reply holds the lease now (as after a lapse, or a clock that ran ahead elsewhere).
    await em.doc.send(new UpdateCommand({
      TableName: em.env.TABLE_NAME,
      Key: { [PK]: `U#${user}`, [SK]: `C#${conversationId}` },
      UpdateExpression: 'SET leaseReplyId = :o, leaseUntil = :u',
      ExpressionAttributeValues: { ':o': 'someone-else', ':u': clock.now() + LEASE_MS },
    }));
    const takenAt = clock.now();
    // The lease comes due for its renewal (it was set LEASE_RENEW_MS ago, by the clock's reading).
    jumped += LEASE_RENEW_MS;
    // The model stays held: only the failed renewal can end this reply.
    await first.sending;
    const frames = em.sink.frames(first.conn);
    expect(deltaText(first.conn)).toBe(HEAD.join(''));
    expect(frames.at(-1)).toMatchObject({ type: 'done', replyId, stopReason: 'interrupted' });
    // After the failed renewal, only its own reply was written (finalized); no checkpoint came after it.
    const after = writesOf(replyId, takenAt);
    const renewal = after.findIndex((w) => w.ExpressionAttributeValues?.[':me'] === replyId);
    expect(renewal).toBeGreaterThanOrEqual(0);
    const rest = after.slice(renewal + 1);
    expect(rest).toHaveLength(1);
    expect(rest[0].ExpressionAttributeValues).toMatchObject({ ':s': 'interrupted', ':t': HEAD.join('') });
    expect(await storedReply(user, conversationId, replyId)).toMatchObject({ status: 'interrupted', text: HEAD.join('') });
    expect(await em.store.conversations.get(user, conversationId)).toMatchObject({ leaseReplyId: 'someone-else' });
  }, 30_000);
});

/** The stop-flag reads of a reply's watcher so far (one each STOP_POLL_MS). */
const polls = (replyId: string) => recorder.sent.filter(({ command }) => command instanceof GetCommand && command.input.Key?.[SK] === `R#${replyId}`).length;

/** Waits (a few ms at a time) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 10));
}

/** The reply's final frame (`done` or `error`), once there is one. */
const ending = (conn: string) => em.sink.frames(conn).find((f) => f.type === 'done' || f.type === 'error');

/**
 * Moves the clock on by `stepMs` each time the reply's watcher has polled since the last step,
 * until the reply ended (or `maxSteps`): clock time passes for the watcher one poll at a time.
 */
async function stepClock(conn: string, replyId: string, stepMs: number, maxSteps: number): Promise<number> {
  let steps = 0;
  for (; steps < maxSteps && !ending(conn); steps++) {
    const seen = polls(replyId);
    await until(() => polls(replyId) > seen || ending(conn) !== undefined);
    jumped += stepMs;
  }
  return steps * stepMs;
}

/** The times a reply's lease was set (its renewals and the storing write), from the writes' own values. */
const leaseTimes = (conversationId: string, replyId: string) => recorder.sent.map(({ command }) => command.input)
  .filter((input) => input.Key?.[SK] === `C#${conversationId}` && input.ExpressionAttributeValues?.[':me'] === replyId
    && String(input.UpdateExpression).startsWith('SET leaseUntil = :u'))
  .map((input) => (input.ExpressionAttributeValues![':u'] as number) - LEASE_MS);

/** A reply's checkpoint writes: their time and whether they wrote text. */
const checkpoints = (replyId: string) => recorder.sent.map(({ command }) => command.input)
  .filter((input) => String(input.Key?.[SK]).endsWith(`#${replyId}`) && String(input.UpdateExpression).includes('checkpointAt = :c')
    && input.ExpressionAttributeValues?.[':s'] === undefined)
  .map((input) => ({ at: input.ExpressionAttributeValues![':c'] as number, text: input.ExpressionAttributeValues![':t'] !== undefined }));

describe('the watcher renews and checkpoints when due, and still sees a deletion', () => {
  test('a watcher starting late (a slow history read) renews at once, timed from when the lease was set: the reply completes', async () => {
    const user = id('late');
    const held = holdBefore(1);
    em.brain.script = { tokens: [...HEAD, ...TAIL], intervalMs: 1, clock: held.modelClock };
    // The instructions are read beside the window, just before the watcher starts: it "takes" 24 s.
    recorder.arm((command) => command instanceof GetCommand && command.input.Key?.[SK] === 'S#instructions', 'before');
    const conn = id('conn');
    const sending = send(user, conn, { messageId: id('msg'), text: '천천히' });
    await recorder.reached();
    const { conversationId, replyId } = em.sink.frames(conn)[0];
    // The watcher starts 1.5 s of clock inside LEASE_SAFETY_MS: its first renewal must not wait a checkpoint's interval.
    jumped += LEASE_MS - LEASE_SAFETY_MS - 1_500;
    recorder.release();
    // Renewed (a lease set time after the first) or already ended: only then does the model go on.
    await until(() => leaseTimes(conversationId, replyId).length > 1 || ending(conn) !== undefined);
    held.open();
    await sending;
    expect(ending(conn)).toMatchObject({ type: 'done', replyId, stopReason: 'end_turn' });
    expect(await storedReply(user, conversationId, replyId)).toMatchObject({ status: 'complete', text: [...HEAD, ...TAIL].join('') });
  });

  test('a history read slower than the lease: the watcher renews it while the read waits, and the reply completes', async () => {
    const user = id('slowread');
    const held = holdBefore(1);
    em.brain.script = { tokens: [...HEAD, ...TAIL], intervalMs: 1, clock: held.modelClock };
    // The instructions (read beside the window) "take" twice the lease: the clock moves on 5 s a
    // poll while the read is held, so only a watcher that already runs can keep the lease.
    recorder.arm((command) => command instanceof GetCommand && command.input.Key?.[SK] === 'S#instructions', 'before');
    const conn = id('conn');
    const sending = send(user, conn, { messageId: id('msg'), text: '기록을 천천히 읽어요' });
    await recorder.reached();
    const { conversationId, replyId } = em.sink.frames(conn)[0];
    // A watcher that only starts after the read never polls while it is held: say so instead of hanging.
    const polled = await Promise.race([
      until(() => polls(replyId) > 0).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
    ]);
    if (!polled) recorder.release();
    expect(polled).toBe(true);
    await stepClock(conn, replyId, 5_000, (2 * LEASE_MS) / 5_000);
    const whileReading = leaseTimes(conversationId, replyId);
    recorder.release();
    held.open();
    await sending;
    // Renewed all through the read, longer than a lease, never a gap the reply would have lapsed in.
    expect(whileReading[whileReading.length - 1] - whileReading[0]).toBeGreaterThanOrEqual(LEASE_MS);
    whileReading.slice(1).forEach((at, i) => expect(at - whileReading[i]).toBeLessThan(LEASE_MS - LEASE_SAFETY_MS));
    expect(ending(conn)).toMatchObject({ type: 'done', replyId, stopReason: 'end_turn' });
    expect(await storedReply(user, conversationId, replyId)).toMatchObject({ status: 'complete', text: [...HEAD, ...TAIL].join('') });
  }, 60_000);

  test('a stop while the history window loads: the model is never called, the reply is stored stopped', async () => {
    const user = id('stopearly');
    em.brain.script = { tokens: [...HEAD, ...TAIL], intervalMs: 1 };
    const calls = em.brain.requests.length;
    recorder.arm((command) => command instanceof GetCommand && command.input.Key?.[SK] === 'S#instructions', 'before');
    const conn = id('conn');
    const sending = send(user, conn, { messageId: id('msg'), text: '멈출 거예요' });
    await recorder.reached();
    const { conversationId, replyId } = em.sink.frames(conn)[0];
    await chat(wsEvent('stop', user, id('conn'), JSON.stringify({ action: 'stop', replyId })));
    // The watcher has read the flag (a poll after the stop) before the read goes on.
    const seen = polls(replyId);
    await until(() => polls(replyId) > seen + 1);
    recorder.release();
    await sending;
    expect(ending(conn)).toMatchObject({ type: 'done', replyId, stopReason: 'stopped' });
    expect(em.brain.requests.length).toBe(calls);
    expect(await storedReply(user, conversationId, replyId)).toMatchObject({ status: 'stopped', text: '' });
  });

  test('a silent model: the lease is renewed every LEASE_RENEW_MS, the time checkpointed every IDLE_CHECKPOINT_MS, never near interrupted', async () => {
    const user = id('silent');
    const first = await startHeld(user);
    const { conversationId, replyId } = first.accepted;
    // 70 s of clock time, 5 s a poll, with no new text after HEAD.
    await stepClock(first.conn, replyId, 5_000, 14);
    const leases = leaseTimes(conversationId, replyId);
    const writes = checkpoints(replyId);
    first.open();
    await first.sending;
    expect(ending(first.conn)).toMatchObject({ type: 'done', replyId, stopReason: 'end_turn' });
    expect(await storedReply(user, conversationId, replyId)).toMatchObject({ status: 'complete' });

    // Held past LEASE_MS twice over: renewed, and never sooner than due.
    expect(leases.length).toBeGreaterThanOrEqual(3);
    leases.slice(1).forEach((at, i) => expect(at - leases[i]).toBeGreaterThanOrEqual(LEASE_RENEW_MS));
    expect(writes.filter((w) => w.text)).toHaveLength(1); // HEAD, the only text while the model was silent
    expect(writes.filter((w) => !w.text).length).toBeGreaterThanOrEqual(2);
    writes.forEach((w, i) => {
      if (i > 0 && !w.text) expect(w.at - writes[i - 1].at).toBeGreaterThanOrEqual(IDLE_CHECKPOINT_MS);
      if (i > 0) expect(w.at - writes[i - 1].at).toBeLessThan(INTERRUPTED_AFTER_MS);
    });
  });

  test.each<[string, (user: string, conversationId: string, replyId: string) => Promise<unknown>, number]>([
    ['the whole conversation (the stop-flag read sees it)', (user, conversationId) => deleteConversation(em.store, user, conversationId), 0],
    ['its reply only (the next checkpoint sees it)', async (user, conversationId, replyId) => {
      const reply = (await em.doc.send(new QueryCommand({
        TableName: em.env.TABLE_NAME,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': `C#${user}#${conversationId}` },
      }))).Items!.find((i) => i.messageId === replyId)!;
      await em.doc.send(new DeleteCommand({ TableName: em.env.TABLE_NAME, Key: { [PK]: reply[PK], [SK]: reply[SK] } }));
    }, IDLE_CHECKPOINT_MS],
    ['its conversation item only (the next renewal sees it)', (user, conversationId) => em.store.conversations.delete(user, conversationId), LEASE_RENEW_MS],
  ])('deleting %s while the model is silent ends the reply deleted within its bound', async (_name, remove, bound) => {
    const user = id('gone');
    const first = await startHeld(user);
    const { conversationId, replyId } = first.accepted;
    // HEAD checkpointed first: from here on the text does not change.
    while (!checkpoints(replyId).some((w) => w.text)) await stepClock(first.conn, replyId, 1_000, 1);
    await remove(user, conversationId, replyId);
    // The clock moves on by the bound (and a few polls) only; the model stays held, so only the
    // watcher can end the reply, and a reply it did not end by then would hold the test to its timeout.
    await stepClock(first.conn, replyId, 1_000, bound / 1_000 + 3);
    await first.sending;
    expect(ending(first.conn)).toMatchObject({ type: 'error', code: 'NOT_FOUND', replyId });
  }, 30_000);
});

describe('taking the lease answers the conversation', () => {
  test('a message into an existing conversation never reads the conversation item: the lease write answered it', async () => {
    const user = id('reads');
    em.brain.script = { tokens: ['첫 답'] };
    const conn = id('conn');
    await send(user, conn, { messageId: id('msg'), text: '처음' });
    const { conversationId } = em.sink.frames(conn)[0];
    const from = recorder.sent.length;
    em.brain.script = { tokens: ['둘째 답'] };
    const conn2 = id('conn');
    await send(user, conn2, { messageId: id('msg'), text: '다음', conversationId });
    expect(ending(conn2)).toMatchObject({ type: 'done', stopReason: 'end_turn' });
    const reads = recorder.sent.slice(from).filter(({ command }) => command instanceof GetCommand && command.input.Key?.[SK] === `C#${conversationId}`);
    expect(reads).toEqual([]);
    // What the message needed of it (the tree's leaf, to go below) still arrived: its reply is the leaf now.
    expect((await em.store.conversations.get(user, conversationId))?.tree?.leafSk).toMatch(new RegExp(`#1#${em.sink.frames(conn2)[0].replyId}$`));
  });
});
