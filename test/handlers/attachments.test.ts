import { PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  attachmentKey, MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE_PX, MAX_UPLOAD_BYTES_PER_DAY, MAX_UPLOADS_PER_DAY, PENDING_TAG,
} from '../../src/contract/attachments';
import { awsFromEnv } from '../../src/contract/env';
import { createS3Client } from '../../src/core/adapters/s3-objects';
import { handler as chat } from '../../src/handlers/chat.lambda';
import { attachmentService } from '../../src/handlers/wiring';
import type { S3Server } from '../../src/local/s3-server';
import { AttachmentRig, historyRequest, startAttachmentRig, uploadAttachment } from '../support/attachments';
import { elf, exe, pdf, png, pngOfSize } from '../support/files';
import { Emulators, id, wsEvent } from '../support/harness';

// The upload slot API of docs/PROTOCOL.md §15 through the deployed history handler, against dynalite
// and the local S3 endpoint: slots, the browser's presigned PUT, verification of the bytes, metadata,
// thumbnails, another user's ids, refusals that keep nothing, the daily bound, conversation delete.

const BUCKET = 'attachments-test';
let rig: AttachmentRig;
let em: Emulators;
let s3: S3Server;

beforeAll(async () => {
  rig = await startAttachmentRig(BUCKET);
  ({ em, s3 } = rig);
});
afterAll(() => rig.close());

const req = historyRequest;
const upload = uploadAttachment;

async function attachmentItems(user: string) {
  const r = await em.doc.send(new QueryCommand({
    TableName: em.env.TABLE_NAME,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
    ExpressionAttributeValues: { ':pk': `U#${user}`, ':a': 'A' },
  }));
  return r.Items ?? [];
}
const objectsOf = (user: string) => s3.keys(BUCKET).filter((k) => k.startsWith(`u/${user}/`));

/** Every item of the user's partition, by sort key. */
async function partition(user: string): Promise<string[]> {
  const r = await em.doc.send(new QueryCommand({
    TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `U#${user}` }, ConsistentRead: true,
  }));
  return (r.Items ?? []).map((i) => String(i.sk));
}
/** What the upload API legitimately keeps of refused files: the day's slot counter (it counts every slot, used or not). */
const DAILY = /^L#d\d+#uploads$/;

test('an image: slot, presigned upload, verification, metadata and a thumbnail redirect', async () => {
  const user = id('ann');
  const bytes = png(40, 30);
  const { id: attachmentId, slot, put } = await upload(user, '스크린샷 1.png', 'image/png', bytes);
  expect(slot).toEqual({
    attachmentId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    upload: { method: 'PUT', url: expect.stringContaining(`/${BUCKET}/u/${user}/${attachmentId}?`), headers: { 'content-type': 'image/png', 'x-amz-tagging': `${PENDING_TAG.key}=${PENDING_TAG.value}` } },
    expiresAt: expect.any(String),
  });
  expect(put.status).toBe(200);
  expect((await req(user, 'GET', `/attachments/${attachmentId}`)).body).toMatchObject({ status: 'pending', size: bytes.length });
  // Not verified yet: no thumbnail.
  expect((await req(user, 'GET', `/attachments/${attachmentId}/content`)).status).toBe(404);

  const done = await req(user, 'POST', `/attachments/${attachmentId}/complete`);
  expect(done).toMatchObject({ status: 200, body: { attachmentId, name: '스크린샷 1.png', contentType: 'image/png', size: bytes.length, status: 'ready', width: 40, height: 30 } });
  expect((await req(user, 'POST', `/attachments/${attachmentId}/complete`)).body).toEqual(done.body);
  expect((await req(user, 'GET', `/attachments/${attachmentId}`)).body).toEqual(done.body);

  const thumb = await req(user, 'GET', `/attachments/${attachmentId}/content`);
  expect(thumb.status).toBe(302);
  const got = await fetch(thumb.headers.location as string);
  expect(got.headers.get('content-type')).toBe('image/png');
  expect(Buffer.from(await got.arrayBuffer())).toEqual(bytes);
  // For a script's fetch (which would follow a redirect): the URL as JSON, no redirect.
  const asJson = await req(user, 'GET', `/attachments/${attachmentId}/content`, undefined, { redirect: 'false' });
  expect(asJson).toMatchObject({ status: 200, body: { url: expect.stringContaining(`/${BUCKET}/u/${user}/${attachmentId}?`) } });
  expect(asJson.headers.location).toBeUndefined();
  expect(Buffer.from(await (await fetch(asJson.body.url as string)).arrayBuffer())).toEqual(bytes);
});

test('a PDF reports its pages', async () => {
  const user = id('ann');
  const { id: attachmentId } = await upload(user, 'report.pdf', 'application/pdf', pdf(2));
  expect((await req(user, 'POST', `/attachments/${attachmentId}/complete`)).body).toMatchObject({ status: 'ready', pages: 2 });
});

test('another user\'s attachment is not found on every route, and its object is under its owner\'s key', async () => {
  const owner = id('own');
  const eve = id('eve');
  const { id: attachmentId } = await upload(owner, 'a.png', 'image/png', png(2, 2));
  for (const [method, path] of [['GET', ''], ['POST', '/complete'], ['GET', '/content']]) {
    expect(await req(eve, method, `/attachments/${attachmentId}${path}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  }
  expect(s3.keys(BUCKET)).toContain(attachmentKey(owner, attachmentId));
  // The other user's calls stored nothing, and did not complete the owner's upload.
  expect(await partition(eve)).toEqual([]);
  expect(objectsOf(eve)).toEqual([]);
  expect((await req(owner, 'GET', `/attachments/${attachmentId}`)).body).toMatchObject({ status: 'pending' });
  expect((await req(owner, 'GET', '/attachments/not an id')).status).toBe(404);
});

test('refused slots keep nothing, not even a count of the day: one byte over each size limit, wrong types, bad name, bad JSON', async () => {
  const user = id('ref');
  expect(await req(user, 'POST', '/attachments', { name: 'big.png', contentType: 'image/png', size: MAX_IMAGE_BYTES + 1 }))
    .toMatchObject({ status: 413, body: { code: 'TOO_LARGE', message: 'An image may be at most 3.75 MB (3750000 bytes).' } });
  expect(await req(user, 'POST', '/attachments', { name: 'big.pdf', contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES + 1 }))
    .toMatchObject({ status: 413, body: { code: 'TOO_LARGE', message: 'A document may be at most 4.5 MB (4500000 bytes).' } });
  for (const contentType of ['application/x-msdownload', 'image/svg+xml', 'application/zip', '']) {
    expect(await req(user, 'POST', '/attachments', { name: 'a.exe', contentType, size: 10 }))
      .toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: expect.stringContaining('cannot be attached') } });
  }
  expect(await req(user, 'POST', '/attachments', { name: '', contentType: 'image/png', size: 10 })).toMatchObject({ status: 400 });
  expect(await req(user, 'POST', '/attachments', '{nope')).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  expect(await partition(user)).toEqual([]);
  expect(objectsOf(user)).toEqual([]);
});

test('at each size limit a slot is given; at complete the bytes must be the declared ones and within the type\'s limit', async () => {
  const user = id('edge');
  const client = createS3Client(awsFromEnv(em.env), s3.endpoint);
  // An object the presigned PUT could not have made (it binds content-length): written to the bucket directly.
  const putDirect = (attachmentId: string, body: Buffer, contentType: string) =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key: attachmentKey(user, attachmentId), Body: body, ContentType: contentType }));
  try {
    // Exactly at the limits, through the browser's path: ready.
    const image = await upload(user, 'at.png', 'image/png', pngOfSize(MAX_IMAGE_BYTES));
    const text = await upload(user, 'at.txt', 'text/plain', Buffer.alloc(MAX_DOCUMENT_BYTES, 0x61));
    for (const x of [image, text]) expect([x.put.status, (await req(user, 'POST', `/attachments/${x.id}/complete`)).body.status]).toEqual([200, 'ready']);
    const kept = [image.id, text.id];

    // One byte over the type's limit (declared at it), one byte short of and over the declared size: refused, deleted.
    const cases: Array<[string, string, number, Buffer, number, string]> = [
      ['over.png', 'image/png', MAX_IMAGE_BYTES, pngOfSize(MAX_IMAGE_BYTES + 1), 413, 'at most 3.75 MB'],
      ['over.txt', 'text/plain', MAX_DOCUMENT_BYTES, Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x61), 413, 'at most 4.5 MB'],
      ['short.txt', 'text/plain', 100, Buffer.alloc(99, 0x61), 400, 'has 99 bytes, not the declared 100'],
      ['long.txt', 'text/plain', 100, Buffer.alloc(101, 0x61), 400, 'has 101 bytes, not the declared 100'],
    ];
    for (const [name, type, size, body, status, says] of cases) {
      const slot = await req(user, 'POST', '/attachments', { name, contentType: type, size });
      expect(slot.status).toBe(201);
      await putDirect(slot.body.attachmentId, body, type);
      const r = await req(user, 'POST', `/attachments/${slot.body.attachmentId}/complete`);
      expect([name, r.status, r.body.message]).toEqual([name, status, expect.stringContaining(says)]);
      expect((await req(user, 'GET', `/attachments/${slot.body.attachmentId}`)).status).toBe(404);
    }
    expect((await partition(user)).filter((sk) => !DAILY.test(sk))).toEqual(kept.map((k) => `A#${k}`).sort());
    expect(objectsOf(user).sort()).toEqual(kept.map((k) => attachmentKey(user, k)).sort());
  } finally {
    client.destroy();
  }
});

test('renamed executables, images one pixel over a side and a wrong format are refused after upload and deleted', async () => {
  const user = id('bad');
  const over = MAX_IMAGE_SIDE_PX + 1;
  const cases: Array<[string, string, Buffer, number, string]> = [
    ['photo.png', 'image/png', exe(), 400, 'an executable program'],
    ['setup.pdf', 'application/pdf', exe(), 400, 'an executable program'],
    ['report.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', exe(), 400, 'an executable program'],
    ['notes.txt', 'text/plain', elf(), 400, 'an executable program'],
    ['wide.png', 'image/png', png(over, 1), 413, `${over}×1`],
    ['tall.png', 'image/png', png(1, over), 413, `1×${over}`],
    ['doc.pdf', 'application/pdf', png(2, 2), 400, 'a PNG image'],
  ];
  for (const [name, type, bytes, status, says] of cases) {
    const { id: attachmentId, put } = await upload(user, name, type, bytes);
    expect(put.status).toBe(200);
    const r = await req(user, 'POST', `/attachments/${attachmentId}/complete`);
    expect([name, r.status, r.body.message]).toEqual([name, status, expect.stringContaining(says)]);
    expect((await req(user, 'GET', `/attachments/${attachmentId}`)).status).toBe(404);
  }
  // Only the day's slot counter is left (the slots were given); no record, no object.
  expect((await partition(user)).map((sk) => DAILY.test(sk))).toEqual([true]);
  expect(objectsOf(user)).toEqual([]);
});

test(`images exactly ${MAX_IMAGE_SIDE_PX} px a side are ready`, async () => {
  const user = id('side');
  for (const [w, h] of [[MAX_IMAGE_SIDE_PX, 1], [1, MAX_IMAGE_SIDE_PX]]) {
    const { id: attachmentId } = await upload(user, 'edge.png', 'image/png', png(w, h));
    expect((await req(user, 'POST', `/attachments/${attachmentId}/complete`)).body).toMatchObject({ status: 'ready', width: w, height: h });
  }
});

test('completing before the upload says so and keeps the slot', async () => {
  const user = id('early');
  const slot = await req(user, 'POST', '/attachments', { name: 'a.png', contentType: 'image/png', size: 100 });
  const r = await req(user, 'POST', `/attachments/${slot.body.attachmentId}/complete`);
  expect(r).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', message: 'The file has not been uploaded yet.' } });
  expect((await req(user, 'GET', `/attachments/${slot.body.attachmentId}`)).body.status).toBe('pending');
});

test(`the daily bound: ${MAX_UPLOADS_PER_DAY} slots a day, the next refused`, async () => {
  const user = id('many');
  for (let i = 0; i < MAX_UPLOADS_PER_DAY; i++) {
    const r = await req(user, 'POST', '/attachments', { name: `n${i}.txt`, contentType: 'text/plain', size: 1 });
    if (r.status !== 201) throw new Error(`slot ${i} refused: ${JSON.stringify(r.body)}`);
  }
  expect(await req(user, 'POST', '/attachments', { name: 'one-more.txt', contentType: 'text/plain', size: 1 }))
    .toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
});

test(`the daily bound: ${MAX_UPLOAD_BYTES_PER_DAY} declared bytes a day, one more refused`, async () => {
  const user = id('bytes');
  const full = Math.floor(MAX_UPLOAD_BYTES_PER_DAY / MAX_IMAGE_BYTES);
  for (let i = 0; i < full; i++) expect((await req(user, 'POST', '/attachments', { name: 'a.png', contentType: 'image/png', size: MAX_IMAGE_BYTES })).status).toBe(201);
  const rest = MAX_UPLOAD_BYTES_PER_DAY - full * MAX_IMAGE_BYTES;
  expect((await req(user, 'POST', '/attachments', { name: 'b.png', contentType: 'image/png', size: rest + 1 })).status).toBe(429);
  expect((await req(user, 'POST', '/attachments', { name: 'b.png', contentType: 'image/png', size: rest })).status).toBe(201);
  expect((await req(user, 'POST', '/attachments', { name: 'c.png', contentType: 'image/png', size: 1 })).status).toBe(429);
});

test('deleting a conversation deletes the objects and records of the attachments its messages used', async () => {
  const user = id('del');
  const conn = id('conn');
  em.brain.script = { tokens: ['네'] };
  await chat(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '첨부' })));
  const { conversationId } = em.sink.frames(conn)[0] as { conversationId: string };
  const a = await upload(user, 'a.png', 'image/png', png(2, 2));
  const b = await upload(user, 'b.txt', 'text/plain', Buffer.from('메모'));
  const unused = await upload(user, 'c.txt', 'text/plain', Buffer.from('남김'));
  for (const x of [a, b, unused]) expect((await req(user, 'POST', `/attachments/${x.id}/complete`)).status).toBe(200);

  const s3Client = createS3Client(awsFromEnv(em.env), s3.endpoint);
  const service = attachmentService(em.doc, em.env.TABLE_NAME, s3Client, { bucket: BUCKET });
  const checked = await service.check(user, [a.id, b.id], conversationId);
  if (!('records' in checked)) throw new Error(checked.error.message);
  expect(await service.use(user, checked.records, conversationId, 'm-using-them')).toBe(true);
  // Used: kept by the lifecycle rule (no pending tag), and that conversation's only.
  expect(s3.object(BUCKET, attachmentKey(user, a.id))?.tagging).toBeUndefined();
  expect(s3.object(BUCKET, attachmentKey(user, unused.id))?.tagging).toBe(`${PENDING_TAG.key}=${PENDING_TAG.value}`);
  const notFound = { error: expect.objectContaining({ code: 'NOT_FOUND' }) };
  expect(await service.check(user, [a.id])).toEqual(notFound); // a new conversation
  expect(await service.check(user, [a.id], id('conv'))).toEqual(notFound);
  expect(await service.check(id('eve'), [a.id], conversationId)).toEqual(notFound);
  // Another message of the same conversation (an edit's new version) uses it again; the record
  // keeps the first message and the conversation has one link per file.
  const again = await service.check(user, [a.id], conversationId);
  if (!('records' in again)) throw new Error(again.error.message);
  expect(await service.use(user, again.records, conversationId, 'm-edited')).toBe(true);
  // Another conversation's message may not take it, even past the check (nothing of it is written).
  const before = await attachmentItems(user);
  expect(await service.use(user, again.records, id('conv'), 'm-elsewhere')).toBe(false);
  expect(await attachmentItems(user)).toEqual(before);
  expect((await attachmentItems(user)).filter((i) => i.sk === `A#${a.id}`)).toEqual([expect.objectContaining({ conversationId, messageId: 'm-using-them' })]);
  expect((await attachmentItems(user)).map((i) => String(i.sk)).filter((sk) => sk.startsWith('AC#')).sort())
    .toEqual([`AC#${conversationId}#${a.id}`, `AC#${conversationId}#${b.id}`].sort());

  expect((await req(user, 'DELETE', `/conversations/${conversationId}`)).status).toBe(204);
  expect(objectsOf(user)).toEqual([attachmentKey(user, unused.id)]);
  expect((await attachmentItems(user)).map((i) => i.sk)).toEqual([`A#${unused.id}`]);
  s3Client.destroy();
});
