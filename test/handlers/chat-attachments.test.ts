import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { attachmentKey, MAX_ATTACHMENTS_PER_MESSAGE, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGES_PER_MESSAGE, PENDING_TAG } from '../../src/contract/attachments';
import { awsFromEnv } from '../../src/contract/env';
import { createS3Client } from '../../src/core/adapters/s3-objects';
import { handler as chat } from '../../src/handlers/chat.lambda';
import type { S3Server } from '../../src/local/s3-server';
import { AttachmentRig, historyRequest, readyAttachment, startAttachmentRig } from '../support/attachments';
import { pdf, png } from '../support/files';
import { chatService, Emulators, id, outbox, wsEvent } from '../support/harness';

// sendMessage.attachmentIds (docs/PROTOCOL.md §15) through the deployed chat and history handlers,
// against dynalite, the local S3 endpoint and the local model server (which records each request):
// the caller's own ready files become the turn's image/document blocks, and stay in its history.

const BUCKET = 'chat-attachments-test';
let rig: AttachmentRig;
let em: Emulators;
let s3: S3Server;

beforeAll(async () => {
  rig = await startAttachmentRig(BUCKET);
  ({ em, s3 } = rig);
});
afterAll(() => rig.close());

const req = historyRequest;

const ready = readyAttachment;

async function send(user: string, frame: Record<string, unknown>, conn = id('conn')) {
  await chat(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '사진 봐 주세요', ...frame })));
  return em.sink.frames(conn);
}

async function itemsOf(user: string, prefix = '') {
  const r = await em.doc.send(new QueryCommand({ TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `U#${user}` } }));
  return (r.Items ?? []).filter((i) => String(i.sk).startsWith(prefix));
}

/** The replies' requests (a new conversation's title is asked by a Converse call without the files). */
const streamed = () => em.brain.requests.filter((r) => r.streaming);
const lastStreamed = () => streamed()[streamed().length - 1];
const lastUser = () => [...lastStreamed().messages].reverse().find((m) => m.role === 'user')!;

describe('a message with an image and a document', () => {
  const user = id('files');
  const image = png(30, 20);
  const doc = pdf(2, '보고서');
  let imageId: string;
  let docId: string;
  let conversationId: string;

  beforeAll(async () => {
    imageId = await ready(user, 'cat.png', 'image/png', image);
    docId = await ready(user, '보고서_2024.final.pdf', 'application/pdf', doc);
  });

  test('the model request carries exactly those blocks with their bytes, and history lists them', async () => {
    em.brain.script = { tokens: ['고양이와 보고서네요'] };
    const before = streamed().length;
    const frames = await send(user, { messageId: 'msg-files-1', attachmentIds: [imageId, docId] });
    expect(frames[0]).toMatchObject({ type: 'accepted', messageId: 'msg-files-1' });
    expect(frames.map((f) => f.type)).toContain('done');
    conversationId = frames[0].conversationId;
    expect(streamed().length).toBe(before + 1);
    const files = lastUser().files!;
    expect(files.map((f) => ({ kind: f.kind, format: f.format, name: f.name }))).toEqual([
      { kind: 'image', format: 'png', name: undefined },
      { kind: 'document', format: 'pdf', name: '보고서 2024 final pdf' },
    ]);
    expect(Buffer.from(files[0].bytes).equals(image)).toBe(true);
    expect(Buffer.from(files[1].bytes).equals(doc)).toBe(true);

    const page = await req(user, 'GET', `/conversations/${conversationId}/messages`);
    const asked = page.body.items.find((m: any) => m.role === 'user');
    expect(asked.attachments).toEqual([
      { attachmentId: imageId, name: 'cat.png', contentType: 'image/png', size: image.length, width: 30, height: 20 },
      { attachmentId: docId, name: '보고서_2024.final.pdf', contentType: 'application/pdf', size: doc.length },
    ]);
    expect((await req(user, 'GET', `/attachments/${imageId}`)).body).toMatchObject({ conversationId });
  });

  test('the next turn sends the earlier turn\'s files again in the history window', async () => {
    em.brain.script = { tokens: ['네'] };
    await send(user, { conversationId, text: '다시 요약해 주세요' });
    const messages = lastStreamed().messages;
    expect(messages.map((m) => [m.role, (m.files ?? []).length])).toEqual([['user', 2], ['assistant', 0], ['user', 0]]);
    expect(Buffer.from(messages[0].files![0].bytes).equals(image)).toBe(true);
  });

  test('an edit (a new version of the first message, PROTOCOL §13) keeps its files: the model gets both blocks, its stored message lists them', async () => {
    em.brain.script = { tokens: ['편집본도 봤어요'] };
    const before = streamed().length;
    const frames = await send(user, { conversationId, parentId: conversationId, messageId: 'msg-files-edit', text: '순서를 바꿔서 다시', attachmentIds: [docId, imageId] });
    expect(frames[0]).toMatchObject({ type: 'accepted', messageId: 'msg-files-edit', conversationId });
    expect(frames.map((f) => f.type)).toContain('done');
    expect(streamed().length).toBe(before + 1);
    // The new version's window is that version alone (the old one is a sibling, off the path).
    expect(lastStreamed().messages.map((m) => m.role)).toEqual(['user']);
    const files = lastUser().files!;
    expect(files.map((f) => f.kind)).toEqual(['document', 'image']);
    expect(Buffer.from(files[0].bytes).equals(doc)).toBe(true);
    expect(Buffer.from(files[1].bytes).equals(image)).toBe(true);

    const page = await req(user, 'GET', `/conversations/${conversationId}/messages`);
    const edited = page.body.items.find((m: any) => m.messageId === 'msg-files-edit');
    expect(edited.attachments.map((a: any) => a.attachmentId)).toEqual([docId, imageId]);
    expect(edited.versions).toEqual({ ids: ['msg-files-1', 'msg-files-edit'], index: 1 });
    // The old version still lists its files, and the records stay the conversation's.
    expect((await req(user, 'PUT', `/conversations/${conversationId}/active`, { messageId: 'msg-files-1' })).status).toBe(200);
    const old = (await req(user, 'GET', `/conversations/${conversationId}/messages`)).body.items.find((m: any) => m.messageId === 'msg-files-1');
    expect(old.attachments.map((a: any) => a.attachmentId)).toEqual([imageId, docId]);
    expect((await req(user, 'GET', `/attachments/${imageId}`)).body).toMatchObject({ conversationId, status: 'ready' });
    expect((await req(user, 'GET', `/attachments/${docId}/content`, undefined, { redirect: 'false' })).status).toBe(200);
  });

  test('a resend of the edit answers the same accepted and stores nothing twice', async () => {
    const kept = await itemsOf(user);
    const calls = streamed().length;
    const frames = await send(user, { conversationId, parentId: conversationId, messageId: 'msg-files-edit', text: '순서를 바꿔서 다시', attachmentIds: [docId, imageId] });
    const claim = (await em.store.claims.get(user, 'msg-files-edit'))!;
    expect(frames).toEqual([expect.objectContaining({ type: 'accepted', messageId: 'msg-files-edit', conversationId, replyId: claim.replyId })]);
    expect(await itemsOf(user)).toEqual(kept);
    expect(streamed().length).toBe(calls);
  });

  test('another conversation\'s message may not use them: NOT_FOUND, nothing stored; the conversation delete removes them', async () => {
    em.brain.script = { tokens: ['네'] };
    const other = (await send(user, { messageId: 'msg-other-conv', text: '다른 대화' }))[0].conversationId as string;
    expect(other).not.toBe(conversationId);
    const kept = await itemsOf(user);
    const turns = (await em.store.messages.newestFirst(user, other, 100)).items;
    const calls = streamed().length;
    const frames = await send(user, { conversationId: other, messageId: 'msg-files-reuse', attachmentIds: [imageId] });
    expect(frames).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND', messageId: 'msg-files-reuse', message: 'There is no such attachment.' })]);
    // A new conversation may not take them either.
    expect(await send(user, { messageId: 'msg-files-new', attachmentIds: [docId] }))
      .toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND', messageId: 'msg-files-new' })]);
    // No claim, rate token, lease, conversation or message of either; the files still the first conversation's.
    expect(await itemsOf(user)).toEqual(kept);
    expect((await em.store.messages.newestFirst(user, other, 100)).items).toEqual(turns);
    expect(streamed().length).toBe(calls);

    // One link item per file, whatever the number of its messages: the delete removes each once.
    expect((await itemsOf(user, `AC#${conversationId}#`)).map((i) => i.attachmentId).sort()).toEqual([imageId, docId].sort());
    expect((await req(user, 'DELETE', `/conversations/${conversationId}`)).status).toBe(204);
    for (const a of [imageId, docId]) expect((await req(user, 'GET', `/attachments/${a}`)).status).toBe(404);
    expect(await itemsOf(user, 'A')).toEqual([]);
    expect(s3.keys(BUCKET).filter((k) => k.startsWith(`u/${user}/`))).toEqual([]);
  });
});

test('an edit may add a fresh, never-used ready file after the kept one: the model gets both blocks in that order, the file becomes the conversation\'s, and the delete removes it', async () => {
  const user = id('editadd');
  const image = png(12, 8);
  const doc = pdf(1, '새 문서');
  const imageId = await ready(user, 'kept.png', 'image/png', image);
  em.brain.script = { tokens: ['사진이네요'] };
  const [first] = await send(user, { messageId: 'msg-add-1', text: '이 사진은?', attachmentIds: [imageId] });
  const conversationId = first.conversationId as string;
  // Uploaded after the first message: no conversation yet, unused.
  const docId = await ready(user, 'added.pdf', 'application/pdf', doc);
  expect((await req(user, 'GET', `/attachments/${docId}`)).body.conversationId).toBeUndefined();

  em.brain.script = { tokens: ['둘 다 봤어요'] };
  const frames = await send(user, { conversationId, parentId: conversationId, messageId: 'msg-add-edit', text: '문서도 같이', attachmentIds: [imageId, docId] });
  expect(frames[0]).toMatchObject({ type: 'accepted', messageId: 'msg-add-edit', conversationId });
  expect(frames.map((f) => f.type)).toContain('done');
  const files = lastUser().files!;
  expect(files.map((f) => [f.kind, f.format])).toEqual([['image', 'png'], ['document', 'pdf']]);
  expect(Buffer.from(files[0].bytes).equals(image)).toBe(true);
  expect(Buffer.from(files[1].bytes).equals(doc)).toBe(true);
  const page = await req(user, 'GET', `/conversations/${conversationId}/messages`);
  const edited = page.body.items.find((m: any) => m.messageId === 'msg-add-edit');
  expect(edited.attachments.map((a: any) => a.attachmentId)).toEqual([imageId, docId]);
  expect((await req(user, 'GET', `/attachments/${docId}`)).body).toMatchObject({ conversationId, status: 'ready' });
  expect(s3.object(BUCKET, attachmentKey(user, docId))?.tagging).toBeUndefined();

  // Now the conversation's: a new conversation may not take it; deleting this one removes it.
  expect(await send(user, { messageId: 'msg-add-other', attachmentIds: [docId] }))
    .toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND', messageId: 'msg-add-other' })]);
  expect((await req(user, 'DELETE', `/conversations/${conversationId}`)).status).toBe(204);
  for (const a of [imageId, docId]) expect((await req(user, 'GET', `/attachments/${a}`)).status).toBe(404);
  expect(s3.keys(BUCKET).filter((k) => k.startsWith(`u/${user}/`))).toEqual([]);
});

test('another user\'s attachment (or a missing one) is NOT_FOUND with the messageId, and nothing is stored', async () => {
  const owner = id('own');
  const other = id('oth');
  const theirs = await ready(owner, 'a.png', 'image/png', png(4, 4));
  const mine = await ready(other, 'b.png', 'image/png', png(4, 4));
  const ownersItems = await itemsOf(owner);
  const othersItems = await itemsOf(other);
  const calls = streamed().length;
  // Alone, or beside one of the caller's own ready files; into a new conversation or an existing one.
  em.brain.script = { tokens: ['네'] };
  const [start] = await send(other, { text: '시작' });
  const conversation = await itemsOf(other);
  for (const extra of [{}, { conversationId: start.conversationId }]) {
    for (const ids of [[theirs], [id('missing')], [mine, theirs]]) {
      const frames = await send(other, { messageId: 'msg-not-mine', attachmentIds: ids, ...extra });
      expect(frames).toEqual([{ type: 'error', code: 'NOT_FOUND', retryable: false, messageId: 'msg-not-mine', message: 'There is no such attachment.' }]);
    }
  }
  // No conversation, claim or rate token of it; the files where they were, unbound and pending.
  expect(await itemsOf(other)).toEqual(conversation);
  expect(conversation.filter((i) => !othersItems.some((o) => o.sk === i.sk)).map((i) => String(i.sk)[0]).sort()).toEqual(['C', 'I', 'L', 'R']);
  expect(streamed().length).toBe(calls + 1);
  expect(await itemsOf(owner)).toEqual(ownersItems);
  expect(s3.object(BUCKET, attachmentKey(owner, theirs))?.tagging).toBe(`${PENDING_TAG.key}=${PENDING_TAG.value}`);
});

test('a file not yet completed is BAD_REQUEST, and nothing is stored', async () => {
  const user = id('early');
  const slot = await req(user, 'POST', '/attachments', { name: 'later.png', contentType: 'image/png', size: 100 });
  const kept = await itemsOf(user);
  const frames = await send(user, { messageId: 'msg-not-ready', attachmentIds: [slot.body.attachmentId] });
  expect(frames).toEqual([{ type: 'error', code: 'BAD_REQUEST', retryable: false, messageId: 'msg-not-ready', message: 'The file has not been uploaded yet.' }]);
  expect(await itemsOf(user)).toEqual(kept);
});

test(`${MAX_IMAGES_PER_MESSAGE} images and ${MAX_DOCUMENTS_PER_MESSAGE} documents go in one message; one more image or document is BAD_REQUEST and stores nothing`, async () => {
  const user = id('count');
  const images = await Promise.all(Array.from({ length: MAX_IMAGES_PER_MESSAGE + 1 }, (_, i) => ready(user, `p${i}.png`, 'image/png', png(2, 2))));
  const docs = await Promise.all(Array.from({ length: MAX_DOCUMENTS_PER_MESSAGE + 1 }, (_, i) => ready(user, `d${i}.txt`, 'text/plain', Buffer.from(`메모 ${i}`))));
  const kept = await itemsOf(user);
  const calls = streamed().length;
  const count = `A message may carry at most ${MAX_IMAGES_PER_MESSAGE} images and ${MAX_DOCUMENTS_PER_MESSAGE} documents.`;
  // 21 images; 6 documents; and within the 25 ids: 21 images and 4 documents, 19 images and 6 documents.
  for (const ids of [images, docs, [...images, ...docs.slice(0, 4)], [...images.slice(0, 19), ...docs]]) {
    expect(ids.length).toBeLessThanOrEqual(MAX_ATTACHMENTS_PER_MESSAGE);
    const frames = await send(user, { messageId: 'msg-too-many', attachmentIds: ids });
    expect(frames).toEqual([{ type: 'error', code: 'BAD_REQUEST', retryable: false, messageId: 'msg-too-many', message: count }]);
  }
  expect(await itemsOf(user)).toEqual(kept);
  expect(streamed().length).toBe(calls);
  em.brain.script = { tokens: ['다 봤어요'] };
  const atEdge = [...images.slice(0, MAX_IMAGES_PER_MESSAGE), ...docs.slice(0, MAX_DOCUMENTS_PER_MESSAGE)];
  const [accepted] = await send(user, { attachmentIds: atEdge });
  expect(accepted).toMatchObject({ type: 'accepted' });
  expect(lastUser().files!.map((f) => f.kind)).toEqual([...Array(MAX_IMAGES_PER_MESSAGE).fill('image'), ...Array(MAX_DOCUMENTS_PER_MESSAGE).fill('document')]);
});

test('a resend of a message with files is accepted once, with the same ids and one model call', async () => {
  const user = id('resend');
  const file = await ready(user, 'b.png', 'image/png', png(8, 8));
  em.brain.script = { tokens: ['한 번'] };
  const before = streamed().length;
  const frame = { messageId: 'msg-files-resend', attachmentIds: [file] };
  const [first] = await send(user, frame);
  const again = await send(user, frame);
  expect(again).toEqual([first]);
  expect(streamed().length).toBe(before + 1);
  const [conv] = (await req(user, 'GET', '/conversations')).body.items;
  const page = await req(user, 'GET', `/conversations/${conv.conversationId}/messages`);
  expect(page.body.items.filter((m: any) => m.role === 'user').map((m: any) => m.attachments.length)).toEqual([1]);
});

test('a resend finishing a claimed but unstored turn stores and sends the claim\'s files; a regenerate sends them again', async () => {
  const user = id('claimed');
  const file = await ready(user, 'c.png', 'image/png', png(12, 6));
  em.brain.script = { tokens: ['시작'] };
  const [start] = await send(user, { text: '대화 시작' });
  const conversationId = start.conversationId;
  // The precondition: an invocation claimed the message with its files and died before storing its turn.
  const messageId = id('msg');
  const claim = { conversationId, replyId: id('reply'), t: Date.now(), text: '이 사진', created: false, attachmentIds: [file] };
  expect(await em.store.claims.put(user, messageId, claim, claim.t)).toBe(true);
  em.brain.script = { tokens: ['사진이네요'] };
  const frames = await send(user, { messageId, conversationId, text: '이 사진', attachmentIds: [file] });
  expect(frames[0]).toMatchObject({ type: 'accepted', messageId, replyId: claim.replyId });
  expect(lastUser().files!.map((f) => f.format)).toEqual(['png']);
  // (A claim made by hand has no tree place: its turn is read from the store, not the active path.)
  const stored = await em.store.messages.newestFirst(user, conversationId, 10);
  expect(stored.items.find((m) => m.messageId === messageId)!.attachments).toEqual([
    { attachmentId: file, name: 'c.png', contentType: 'image/png', size: png(12, 6).length, width: 12, height: 6 },
  ]);

  const conn = id('conn');
  await chat(wsEvent('regenerate', user, conn, JSON.stringify({ action: 'regenerate', messageId: id('rgn'), conversationId, userMessageId: messageId })));
  expect(em.sink.frames(conn)[0]).toMatchObject({ type: 'accepted' });
  expect(lastUser().files!.map((f) => f.format)).toEqual(['png']);
  expect(Buffer.from(lastUser().files![0].bytes).equals(png(12, 6))).toBe(true);
});

test('a file the bucket cannot give is INTERNAL before accepted; once it can, the resend finishes that turn', async () => {
  const user = id('gone');
  const bytes = png(5, 5);
  const file = await ready(user, 'd.png', 'image/png', bytes);
  const client = createS3Client(awsFromEnv(em.env), s3.endpoint);
  try {
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: attachmentKey(user, file) }));
    const frame = { messageId: 'msg-files-gone', attachmentIds: [file] };
    expect(await send(user, frame)).toEqual([expect.objectContaining({ type: 'error', code: 'INTERNAL', retryable: true, messageId: 'msg-files-gone' })]);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: attachmentKey(user, file), Body: bytes, ContentType: 'image/png' }));
    em.brain.script = { tokens: ['이제 보여요'] };
    const before = streamed().length;
    const [accepted] = await send(user, frame);
    expect(accepted).toMatchObject({ type: 'accepted', messageId: 'msg-files-gone' });
    expect(streamed().length).toBe(before + 1);
    expect(Buffer.from(lastUser().files![0].bytes).equals(bytes)).toBe(true);
  } finally {
    client.destroy();
  }
});

test(`attachmentIds must be up to ${MAX_ATTACHMENTS_PER_MESSAGE} distinct ids; an empty list is no attachment`, async () => {
  const user = id('shape');
  const ids = (n: number) => Array.from({ length: n }, () => id('att'));
  for (const bad of ['x', [123], ['short'], ['same-id-1234', 'same-id-1234'], ids(MAX_ATTACHMENTS_PER_MESSAGE + 1)]) {
    const [frame] = await send(user, { attachmentIds: bad });
    expect(frame).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: expect.stringContaining('attachmentIds') });
  }
  const [atEdge] = await send(user, { attachmentIds: ids(MAX_ATTACHMENTS_PER_MESSAGE) });
  expect(atEdge).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
  expect(await itemsOf(user)).toEqual([]);
  em.brain.script = { tokens: ['네'] };
  const [accepted] = await send(user, { attachmentIds: [] });
  expect(accepted).toMatchObject({ type: 'accepted' });
});

test('a deployment without the attachments bucket answers NOT_FOUND and stores nothing', async () => {
  const user = id('off');
  const { service, close } = chatService(em);
  try {
    const conn = id('conn');
    await service.handleFrame(user, JSON.stringify({ action: 'sendMessage', messageId: 'msg-off-1', text: '파일', attachmentIds: [id('att')] }), outbox(em, conn));
    expect(em.sink.frames(conn)).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND', messageId: 'msg-off-1', message: 'Attachments are turned off on this deployment.' })]);
  } finally {
    close();
  }
  expect(await itemsOf(user)).toEqual([]);
});
