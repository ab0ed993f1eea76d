import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  attachmentKey, MAX_IMAGE_BYTES, MAX_UPLOAD_BYTES_PER_DAY, MAX_UPLOADS_PER_DAY, PENDING_TAG,
} from '../../src/contract/attachments';
import { awsFromEnv } from '../../src/contract/env';
import { createS3Client } from '../../src/core/adapters/s3-objects';
import { handler as chat } from '../../src/handlers/chat.lambda';
import { attachmentService } from '../../src/handlers/wiring';
import type { S3Server } from '../../src/local/s3-server';
import { AttachmentRig, historyRequest, startAttachmentRig, uploadAttachment } from '../support/attachments';
import { exe, pdf, png } from '../support/files';
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
  const { id: attachmentId } = await upload(owner, 'a.png', 'image/png', png(2, 2));
  for (const [method, path] of [['GET', ''], ['POST', '/complete'], ['GET', '/content']]) {
    expect(await req(id('eve'), method, `/attachments/${attachmentId}${path}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  }
  expect(s3.keys(BUCKET)).toContain(attachmentKey(owner, attachmentId));
  expect((await req(owner, 'GET', `/attachments/${attachmentId}`)).status).toBe(200);
  expect((await req(owner, 'GET', '/attachments/not an id')).status).toBe(404);
});

test('refused slots keep nothing: too large, wrong type, bad name, bad JSON', async () => {
  const user = id('ref');
  expect(await req(user, 'POST', '/attachments', { name: 'big.png', contentType: 'image/png', size: MAX_IMAGE_BYTES + 1 }))
    .toMatchObject({ status: 413, body: { code: 'TOO_LARGE', message: 'An image may be at most 3.75 MB (3750000 bytes).' } });
  expect(await req(user, 'POST', '/attachments', { name: 'a.exe', contentType: 'application/x-msdownload', size: 10 }))
    .toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  expect(await req(user, 'POST', '/attachments', { name: '', contentType: 'image/png', size: 10 })).toMatchObject({ status: 400 });
  expect(await req(user, 'POST', '/attachments', '{nope')).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  expect((await attachmentItems(user)).filter((i) => String(i.sk).startsWith('A#'))).toEqual([]);
  expect(objectsOf(user)).toEqual([]);
});

test('a renamed executable, an oversized image and a wrong format are refused after upload and deleted', async () => {
  const user = id('bad');
  const cases: Array<[string, string, Buffer, number, string]> = [
    ['photo.png', 'image/png', exe(), 400, 'an executable program'],
    ['wide.png', 'image/png', png(8001, 1), 413, '8000 px'],
    ['doc.pdf', 'application/pdf', png(2, 2), 400, 'a PNG image'],
  ];
  for (const [name, type, bytes, status, says] of cases) {
    const { id: attachmentId, put } = await upload(user, name, type, bytes);
    expect(put.status).toBe(200);
    const r = await req(user, 'POST', `/attachments/${attachmentId}/complete`);
    expect([name, r.status, r.body.message]).toEqual([name, status, expect.stringContaining(says)]);
    expect((await req(user, 'GET', `/attachments/${attachmentId}`)).status).toBe(404);
  }
  expect((await attachmentItems(user)).filter((i) => String(i.sk).startsWith('A#'))).toEqual([]);
  expect(objectsOf(user)).toEqual([]);
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
  const checked = await service.check(user, [a.id, b.id], 'm-using-them');
  if (!('records' in checked)) throw new Error(checked.error.message);
  expect(await service.use(user, checked.records, conversationId, 'm-using-them')).toBe(true);
  // Used: kept by the lifecycle rule (no pending tag), and taken by that message only.
  expect(s3.object(BUCKET, attachmentKey(user, a.id))?.tagging).toBeUndefined();
  expect(s3.object(BUCKET, attachmentKey(user, unused.id))?.tagging).toBe(`${PENDING_TAG.key}=${PENDING_TAG.value}`);
  expect(await service.check(user, [a.id], 'another-message')).toEqual({ error: expect.objectContaining({ code: 'NOT_FOUND' }) });
  expect(await service.check(id('eve'), [a.id], 'm-using-them')).toEqual({ error: expect.objectContaining({ code: 'NOT_FOUND' }) });

  expect((await req(user, 'DELETE', `/conversations/${conversationId}`)).status).toBe(204);
  expect(objectsOf(user)).toEqual([attachmentKey(user, unused.id)]);
  expect((await attachmentItems(user)).map((i) => i.sk)).toEqual([`A#${unused.id}`]);
  s3Client.destroy();
});
