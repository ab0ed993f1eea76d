import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { attachmentKey, MAX_ATTACHMENTS_PER_MESSAGE, PENDING_TAG } from '../../src/contract/attachments';
import { awsFromEnv } from '../../src/contract/env';
import { buildSendFrames, DEFAULT_MAX_FRAME_BYTES, GATEWAY_MAX_MESSAGE_BYTES, MAX_MODEL_ID_CHARS, MAX_PARTS, SendMessageFrame, utf8Bytes } from '../../src/contract/protocol';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { BedrockModel } from '../../src/core/adapters/bedrock-model';
import { ConnectionOutbox } from '../../src/core/adapters/connections-outbox';
import { createS3Client } from '../../src/core/adapters/s3-objects';
import { createBedrockClient } from '../../src/core/aws';
import { ChatService } from '../../src/core/chat';
import { chatConfigFromEnv } from '../../src/core/config';
import { REFUSAL } from '../../src/core/domain/acceptance';
import type { PartInput, Store } from '../../src/core/ports/store';
import { silentTelemetry } from '../../src/core/ports/telemetry';
import * as K from '../../src/core/store/item-keys';
import { createChatHandler } from '../../src/handlers/chat';
import { handler as chat } from '../../src/handlers/chat.lambda';
import { attachmentService } from '../../src/handlers/wiring';
import type { S3Server } from '../../src/local/s3-server';
import { AttachmentRig, historyRequest as req, readyAttachment as ready, startAttachmentRig } from '../support/attachments';
import { pdf, png } from '../support/files';
import { Emulators, id, wsEvent } from '../support/harness';

// Attachments on a split message (docs/PROTOCOL.md §7, §15) through the deployed chat handler,
// against dynalite, the local S3 endpoint, the local model server and @connections: every part
// carries the same attachmentIds; the set is answered once, its files checked before its turn is
// stored; parts that disagree (files, model, parent) are one BAD_REQUEST and store nothing.

const BUCKET = 'split-attachments-test';
let rig: AttachmentRig;
let em: Emulators;
let s3: S3Server;

beforeAll(async () => {
  rig = await startAttachmentRig(BUCKET);
  ({ em, s3 } = rig);
});
afterAll(() => rig.close());
beforeEach(() => { em.brain.script = { tokens: ['사진과 ', '보고서를 ', '봤어요'] }; });

/** Over one frame, within the character limit (Hangul is 3 bytes): 13,000 characters, 37,000 bytes, two parts. */
const LONG = '첨부한파일을요약해주세요 '.repeat(1000);

const streamed = () => em.brain.requests.filter((r) => r.streaming);

/** Sends frames on one connection, one after another, through the deployed handler; answers the connection's frames. */
async function sendAll(user: string, frames: SendMessageFrame[], conn = id('conn')) {
  for (const f of frames) await chat(wsEvent('sendMessage', user, conn, JSON.stringify(f)));
  return em.sink.frames(conn);
}

/** Every item of the user's partition as stored (sorted by sort key). */
async function partition(user: string) {
  const r = await em.doc.send(new QueryCommand({
    TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': K.userPk(user) }, ConsistentRead: true,
  }));
  return r.Items ?? [];
}

/**
 * The user's partition but for what a refused set legitimately leaves: its `done` marker (it keeps
 * late parts quiet, 5 minutes) and the minute's part-bytes counter (both expire).
 */
async function keptOf(user: string) {
  return (await partition(user)).filter((i) => !/^P#.*#done$/.test(i.sk) && !/^L#\d+#parts$/.test(i.sk));
}

/** An image and a PDF of `user`, ready. */
type TwoFiles = { image: Buffer; doc: Buffer; ids: string[] };
async function twoFiles(user: string): Promise<TwoFiles> {
  const image = png(30, 20);
  const doc = pdf(2, '보고서');
  const imageId = await ready(user, 'cat.png', 'image/png', image);
  const docId = await ready(user, '보고서_2024.final.pdf', 'application/pdf', doc);
  return { image, doc, ids: [imageId, docId] };
}

/** The files the model got in the user turn of its latest reply request. */
function lastFiles() {
  const last = streamed()[streamed().length - 1];
  return [...last.messages].reverse().find((m) => m.role === 'user')!.files ?? [];
}

/** After one accepted 2-part message with an image and a PDF: one model call with exactly those blocks, and history shows them. */
async function expectOneTurnWithFiles(user: string, messageId: string, frames: any[], files: TwoFiles, callsBefore: number) {
  expect(frames.filter((f) => f.type === 'error')).toEqual([]);
  const accepted = frames.filter((f) => f.type === 'accepted');
  expect(accepted).toEqual([expect.objectContaining({ messageId })]);
  expect(frames.filter((f) => f.type === 'done')).toHaveLength(1);
  expect(streamed().length).toBe(callsBefore + 1);
  const got = lastFiles();
  expect(got.map((f) => [f.kind, f.format])).toEqual([['image', 'png'], ['document', 'pdf']]);
  expect(Buffer.from(got[0].bytes).equals(files.image)).toBe(true);
  expect(Buffer.from(got[1].bytes).equals(files.doc)).toBe(true);
  const { conversationId } = accepted[0];
  const page = await req(user, 'GET', `/conversations/${conversationId}/messages`);
  const asked = page.body.items.filter((m: any) => m.role === 'user');
  expect(asked.map((m: any) => [m.text, m.attachments.map((a: any) => a.attachmentId)])).toEqual([[LONG, files.ids]]);
  // The parts are gone once the turn is stored; only the set's marker stays (it expires).
  expect((await partition(user)).map((i) => i.sk).filter((sk) => sk.startsWith(K.partPrefix(messageId)))).toEqual([K.partsDoneSk(messageId)]);
  return accepted[0];
}

describe.each([
  ['in order', [0, 1]],
  ['in reverse', [1, 0]],
])('a 2-part Korean message with an image and a PDF, its parts sent %s', (_, order) => {
  const user = id('split');
  const messageId = id('msg');
  let files: TwoFiles;
  let frames: SendMessageFrame[];
  let first: any;

  beforeAll(async () => {
    files = await twoFiles(user);
    frames = buildSendFrames({ messageId, text: LONG, attachmentIds: files.ids });
  });

  test('is accepted once: one model call with exactly one image and one document block with their bytes', async () => {
    expect(utf8Bytes(LONG)).toBeGreaterThan(DEFAULT_MAX_FRAME_BYTES);
    expect(frames.map((f) => [f.part, f.attachmentIds])).toEqual([[{ index: 0, count: 2 }, files.ids], [{ index: 1, count: 2 }, files.ids]]);
    const before = streamed().length;
    first = await expectOneTurnWithFiles(user, messageId, await sendAll(user, order.map((i) => frames[i])), files, before);
    // The files are bound to the message: kept by the lifecycle rule, listed with its conversation.
    for (const f of files.ids) {
      expect((await req(user, 'GET', `/attachments/${f}`)).body).toMatchObject({ conversationId: first.conversationId });
      expect(s3.object(BUCKET, attachmentKey(user, f))?.tagging).toBeUndefined();
    }
  });

  test('a resend of all its parts is accepted with the same ids, once, and calls the model no more', async () => {
    const before = streamed().length;
    const stored = await partition(user);
    const again = await sendAll(user, order.map((i) => frames[i]));
    expect(again).toEqual([first]);
    expect(streamed().length).toBe(before);
    expect(await partition(user)).toEqual(stored);
  });
});

test('a file the bucket cannot give is one INTERNAL for the set; once it can, the resent parts finish that turn, one model call', async () => {
  const user = id('bucket');
  const files = await twoFiles(user);
  const messageId = id('msg');
  const frames = buildSendFrames({ messageId, text: LONG, attachmentIds: files.ids });
  const client = createS3Client(awsFromEnv(em.env), s3.endpoint);
  try {
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: attachmentKey(user, files.ids[1]) }));
    const before = streamed().length;
    const refused = await sendAll(user, frames);
    expect(refused).toEqual([expect.objectContaining({ type: 'error', code: 'INTERNAL', retryable: true, messageId })]);
    expect(streamed().length).toBe(before);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: attachmentKey(user, files.ids[1]), Body: files.doc, ContentType: 'application/pdf' }));
    await expectOneTurnWithFiles(user, messageId, await sendAll(user, [frames[1], frames[0]]), files, before);
  } finally {
    client.destroy();
  }
});

test('its parts arriving at once (both stored before either judges the set): accepted once, one model call', async () => {
  const user = id('race');
  const files = await twoFiles(user);
  const messageId = id('msg');
  const frames = buildSendFrames({ messageId, text: LONG, attachmentIds: files.ids });
  // The barrier: each part is stored, then waits until the other is stored too, then reads the
  // set again; so both invocations see it complete and both try to decide it.
  const base = em.store;
  let arrived = 0;
  let open = () => {};
  const bothStored = new Promise<void>((resolve) => { open = resolve; });
  const store: Store = {
    conversations: base.conversations,
    messages: base.messages,
    claims: base.claims,
    rates: base.rates,
    instructions: base.instructions,
    tree: base.tree,
    parts: {
      put: async (u, part, now) => {
        await base.parts.put(u, part, now);
        if (++arrived === frames.length) open();
        await bothStored;
        return base.parts.put(u, part, now);
      },
      decide: (...a) => base.parts.decide(...a),
      reopen: (...a) => base.parts.reopen(...a),
      remove: (...a) => base.parts.remove(...a),
    },
  };
  const bedrock = createBedrockClient(awsFromEnv(em.env));
  const s3Client = createS3Client(awsFromEnv(em.env), s3.endpoint);
  try {
    const attachments = attachmentService(em.doc, em.env.TABLE_NAME, s3Client, { bucket: BUCKET });
    const service = new ChatService({ config: chatConfigFromEnv(em.env), store, model: new BedrockModel(bedrock), attachments });
    const handler = createChatHandler({ service, telemetry: silentTelemetry, outbox: (t) => new ConnectionOutbox(em.connections, t.connectionId) });
    const before = streamed().length;
    const conn = id('conn');
    await Promise.all(frames.map((f) => handler(wsEvent('sendMessage', user, conn, JSON.stringify(f)))));
    expect(arrived).toBe(2);
    await expectOneTurnWithFiles(user, messageId, em.sink.frames(conn), files, before);
  } finally {
    bedrock.destroy();
    s3Client.destroy();
  }
});

describe('parts that disagree are one BAD_REQUEST for the set, in either order, and store nothing', () => {
  type Ctx = { conversationId: string; replyId: string };
  const cases: Array<[string, (ids: string[], ctx: Ctx) => [Partial<SendMessageFrame>, Partial<SendMessageFrame>]]> = [
    ['attachmentIds in another order', (ids) => [{ attachmentIds: ids }, { attachmentIds: [ids[1], ids[0]] }]],
    ['attachmentIds on one part only', (ids) => [{ attachmentIds: ids }, {}]],
    ['attachmentIds with one id fewer', (ids) => [{ attachmentIds: ids }, { attachmentIds: [ids[0]] }]],
    ['modelId on one part only', (ids) => [{ attachmentIds: ids, modelId: em.env.MODEL_ID }, { attachmentIds: ids }]],
    ['parentId', (ids, c) => [{ attachmentIds: ids, parentId: c.conversationId }, { attachmentIds: ids, parentId: c.replyId }]],
    ['parentId on one part only', (ids, c) => [{ attachmentIds: ids, parentId: c.replyId }, { attachmentIds: ids }]],
  ];
  test.each(cases.flatMap(([name, make]) => [[name, 'in order', make, [0, 1]], [name, 'in reverse', make, [1, 0]]] as const))('%s, parts sent %s', async (_, _order, make, order) => {
    const user = id('mixed');
    const files = await twoFiles(user);
    // A conversation with one turn, so that a parentId names a real place on its tree.
    const [start] = await sendAll(user, [{ action: 'sendMessage', messageId: id('msg'), text: '시작' }]);
    const ctx = { conversationId: start.conversationId, replyId: start.replyId };
    const messageId = id('msg');
    const [a, b] = make(files.ids, ctx);
    // Cut with room to spare, so that either part's fields fit its frame.
    const base = buildSendFrames({ messageId, conversationId: ctx.conversationId, text: LONG }, DEFAULT_MAX_FRAME_BYTES - 1000);
    expect(base).toHaveLength(2);
    const frames = [{ ...base[0], ...a }, { ...base[1], ...b }];
    const kept = await keptOf(user);
    const messages = async () => (await em.store.messages.newestFirst(user, ctx.conversationId, 100)).items;
    const turn = await messages();
    const before = streamed().length;
    const answer = await sendAll(user, order.map((i) => frames[i]));
    expect(answer).toEqual([{ type: 'error', code: 'BAD_REQUEST', retryable: false, messageId, message: REFUSAL.mixedParts }]);
    // Nothing stored: no part, claim, message, lease or rate token; the files unbound and still pending.
    expect(await keptOf(user)).toEqual(kept);
    expect(await messages()).toEqual(turn);
    expect(streamed().length).toBe(before);
    for (const f of files.ids) expect(s3.object(BUCKET, attachmentKey(user, f))?.tagging).toBe(`${PENDING_TAG.key}=${PENDING_TAG.value}`);
  });
});

test('a split message naming a model the deployment does not list is one BAD_REQUEST, and nothing of it is stored', async () => {
  const user = id('model');
  const files = await twoFiles(user);
  const kept = await keptOf(user);
  const before = streamed().length;
  for (const order of [[0, 1], [1, 0]]) {
    const messageId = id('msg');
    const frames = buildSendFrames({ messageId, text: LONG, modelId: 'anthropic.claude-3-opus-20240229-v1:0', attachmentIds: files.ids });
    const answer = await sendAll(user, order.map((i) => frames[i]));
    expect(answer).toEqual([{ type: 'error', code: 'BAD_REQUEST', retryable: false, messageId, message: REFUSAL.unknownModel }]);
  }
  expect(await keptOf(user)).toEqual(kept);
  expect(streamed().length).toBe(before);
});

describe('a split message whose files are refused is answered once, and nothing of it is stored', () => {
  test.each([
    ['another user\'s', 'NOT_FOUND', 'There is no such attachment.', async () => ready(id('owner'), 'a.png', 'image/png', png(4, 4))],
    ['a missing', 'NOT_FOUND', 'There is no such attachment.', async () => id('none')],
    ['a not yet completed', 'BAD_REQUEST', 'The file has not been uploaded yet.', async (user: string) =>
      (await req(user, 'POST', '/attachments', { name: 'later.png', contentType: 'image/png', size: 100 })).body.attachmentId as string],
  ])('%s attachment: %s, parts sent in order, in reverse and at once', async (_, code, message, make) => {
    const user = id('refused');
    const own = await ready(user, 'mine.png', 'image/png', png(6, 6));
    const bad = await make(user);
    const kept = await keptOf(user);
    const before = streamed().length;
    for (const order of [[0, 1], [1, 0], undefined]) {
      const messageId = id('msg');
      const frames = buildSendFrames({ messageId, text: LONG, attachmentIds: [own, bad] });
      const conn = id('conn');
      if (order) await sendAll(user, order.map((i) => frames[i]), conn);
      else await Promise.all(frames.map((f) => chat(wsEvent('sendMessage', user, conn, JSON.stringify(f)))));
      expect([order, em.sink.frames(conn)]).toEqual([order, [{ type: 'error', code, retryable: false, messageId, message }]]);
    }
    expect(await keptOf(user)).toEqual(kept);
    expect(streamed().length).toBe(before);
    // Refused before any part was stored: not even the part-bytes counter moved.
    expect((await partition(user)).filter((i) => /^L#\d+#parts$/.test(i.sk))).toEqual([]);
  });

  test('a file used by another message between the parts: the later part refuses the set and the earlier part goes', async () => {
    const user = id('between');
    const file = await ready(user, 'shared.png', 'image/png', png(5, 5));
    const messageId = id('msg');
    const frames = buildSendFrames({ messageId, text: LONG, attachmentIds: [file] });
    const conn = id('conn');
    await sendAll(user, [frames[0]], conn);
    expect((await partition(user)).map((i) => i.sk)).toContain(K.partSk(messageId, 0));
    const [taken] = await sendAll(user, [{ action: 'sendMessage', messageId: id('msg'), text: '이 사진 먼저', attachmentIds: [file] }]);
    expect(taken).toMatchObject({ type: 'accepted' });
    const before = streamed().length;
    await sendAll(user, [frames[1]], conn);
    expect(em.sink.frames(conn)).toEqual([{ type: 'error', code: 'NOT_FOUND', retryable: false, messageId, message: 'There is no such attachment.' }]);
    expect((await partition(user)).map((i) => i.sk).filter((sk) => sk.startsWith(K.partPrefix(messageId)))).toEqual([K.partsDoneSk(messageId)]);
    expect(await em.store.claims.get(user, messageId)).toBeUndefined();
    expect(streamed().length).toBe(before);
  });
});

test('a file taken by another conversation\'s message after the set\'s last check, before its turn binds it: NOT_FOUND once, no conversation, claim or part', async () => {
  const user = id('late');
  const file = await ready(user, 'late.png', 'image/png', png(7, 7));
  const messageId = id('msg');
  const frames = buildSendFrames({ messageId, text: LONG, attachmentIds: [file] });
  const bedrock = createBedrockClient(awsFromEnv(em.env));
  const s3Client = createS3Client(awsFromEnv(em.env), s3.endpoint);
  try {
    const real = attachmentService(em.doc, em.env.TABLE_NAME, s3Client, { bucket: BUCKET });
    // The precondition made true: the third check of this message (part 0, part 1, then the bind
    // of the claimed turn) first lets another message take the file.
    let checks = 0;
    const racing: typeof real = Object.create(real);
    racing.check = async (u, ids, conversationId) => {
      if (++checks === 3) {
        const other = await real.check(u, ids);
        if (!('records' in other)) throw new Error(other.error.message);
        expect(await real.use(u, other.records, 'other-conversation', 'other-message')).toBe(true);
      }
      return real.check(u, ids, conversationId);
    };
    const service = new ChatService({ config: chatConfigFromEnv(em.env), store: em.store, model: new BedrockModel(bedrock), attachments: racing });
    const handler = createChatHandler({ service, telemetry: silentTelemetry, outbox: (t) => new ConnectionOutbox(em.connections, t.connectionId) });
    const before = streamed().length;
    const conn = id('conn');
    for (const f of frames) await handler(wsEvent('sendMessage', user, conn, JSON.stringify(f)));
    expect(checks).toBe(3);
    expect(em.sink.frames(conn)).toEqual([{ type: 'error', code: 'NOT_FOUND', retryable: false, messageId, message: 'There is no such attachment.' }]);
    expect(streamed().length).toBe(before);
    // Only the set's marker, the day's and the minute's counters (the message's rate token is
    // spent in this race) and the file (now the other message's) are left.
    const left = (await partition(user)).map((i) => String(i.sk).replace(/^L#\d+/, 'L#minute').replace(/^L#d\d+/, 'L#day'));
    const expected = [`A#${file}`, `AC#other-conversation#${file}`, 'L#day#uploads', 'L#minute', 'L#minute#parts', K.partsDoneSk(messageId)];
    expect(left.sort()).toEqual(expected.sort());
  } finally {
    bedrock.destroy();
    s3Client.destroy();
  }
});

/**
 * An item's size as DynamoDB counts it: each attribute's name plus its value in UTF-8 bytes (a
 * number: 1 byte per two digits plus 1; a list: 3 bytes plus 1 per element). dynalite counts
 * UTF-16 units instead, so this is computed here rather than left to the emulator to refuse.
 */
function dynamoItemBytes(item: Record<string, unknown>): number {
  const value = (v: unknown): number => {
    if (typeof v === 'string') return utf8Bytes(v);
    if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace('.', '').length / 2) + 1;
    if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + value(x), 0);
    throw new Error(`no size rule for ${typeof v}`);
  };
  return Object.entries(item).reduce((n, [k, v]) => n + utf8Bytes(k) + value(v), 0);
}

test('the largest part item (a whole gateway message of 4-byte text, 25 ids of 64 characters, a 256-character model) is within DynamoDB\'s 400 KB', async () => {
  const user = 'u'.repeat(64);
  const largest: PartInput = {
    messageId: 'm'.repeat(64),
    index: MAX_PARTS - 1,
    count: MAX_PARTS,
    conversationId: 'c'.repeat(64),
    parentId: 'p'.repeat(64),
    modelId: 'x'.repeat(MAX_MODEL_ID_CHARS),
    attachmentIds: Array.from({ length: MAX_ATTACHMENTS_PER_MESSAGE }, (_, i) => `${i}`.padStart(64, 'a')),
    // No frame carries more text than the gateway's message limit; a deployment's frames are 32 KiB.
    text: '😀'.repeat(GATEWAY_MAX_MESSAGE_BYTES / 4),
  };
  expect((await em.store.parts.put(user, largest, Date.now())).parts).toEqual([largest]);
  const key = { [TABLE_SCHEMA.partitionKey]: K.userPk(user), [TABLE_SCHEMA.sortKey]: K.partSk(largest.messageId, largest.index) };
  const item = (await em.doc.send(new GetCommand({ TableName: em.env.TABLE_NAME, Key: key, ConsistentRead: true }))).Item!;
  expect(item.attachmentIds).toEqual(largest.attachmentIds);
  const bytes = dynamoItemBytes(item);
  expect(bytes).toBeGreaterThan(GATEWAY_MAX_MESSAGE_BYTES);
  expect(bytes).toBeLessThan(400 * 1024);
});
