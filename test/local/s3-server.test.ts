import * as http from 'http';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PENDING_TAG } from '../../src/contract/attachments';
import { createS3Client, S3Objects } from '../../src/core/adapters/s3-objects';
import { S3Server, startS3Server } from '../../src/local/s3-server';
import { png } from '../support/files';

// The local S3 endpoint against the real SDK client and the real presigner: what they sign is
// accepted, anything that differs from what was signed is refused as S3 refuses it.

const BUCKET = 'attachments';
const ORIGIN = 'http://127.0.0.1:8787';
const AWS = { region: 'us-east-1', localCredentials: true };
let clock = Date.now();
let s3: S3Server;
let client: S3Client;
let objects: S3Objects;

beforeAll(async () => {
  s3 = await startS3Server({ host: '127.0.0.1', buckets: [BUCKET], allowedOrigins: [ORIGIN], now: () => clock });
  client = createS3Client(AWS, s3.endpoint);
  objects = new S3Objects(client, BUCKET);
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});
beforeEach(() => {
  clock = Date.now();
});

const put = (url: string, body: Buffer, headers: Record<string, string>) => fetch(url, { method: 'PUT', body: new Uint8Array(body), headers: { ...headers, origin: ORIGIN } });

test('a presigned PUT with the signed type, length and tag stores the bytes; the SDK reads, untags and deletes them', async () => {
  const bytes = png(4, 4);
  const up = await objects.presignPut('u/alice/a1', 'image/png', bytes.length, 300);
  const r = await put(up.url, bytes, up.headers);
  expect(r.status).toBe(200);
  expect(r.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect(s3.object(BUCKET, 'u/alice/a1')).toEqual({ body: bytes, contentType: 'image/png', tagging: `${PENDING_TAG.key}=${PENDING_TAG.value}` });

  expect(Buffer.from((await objects.read('u/alice/a1', 1000))!)).toEqual(bytes);
  await objects.keep('u/alice/a1');
  expect(s3.object(BUCKET, 'u/alice/a1')?.tagging).toBeUndefined();

  const get = await fetch(await objects.presignGet('u/alice/a1', 'image/png', 60));
  expect(get.status).toBe(200);
  expect(get.headers.get('content-type')).toBe('image/png');
  expect(get.headers.get('content-disposition')).toBe('inline');
  expect(Buffer.from(await get.arrayBuffer())).toEqual(bytes);

  await objects.delete(['u/alice/a1']);
  expect(s3.object(BUCKET, 'u/alice/a1')).toBeUndefined();
  expect(await objects.read('u/alice/a1', 1000)).toBeUndefined();
});

test('documents download instead of rendering from the bucket', async () => {
  const body = Buffer.from('<script>alert(1)</script>');
  const up = await objects.presignPut('u/alice/h1', 'text/html', body.length, 300);
  expect((await put(up.url, body, up.headers)).status).toBe(200);
  const get = await fetch(await objects.presignGet('u/alice/h1', 'text/html', 60));
  expect(get.headers.get('content-type')).toBe('application/octet-stream');
  expect(get.headers.get('content-disposition')).toBe('attachment');
  // Saved under its display name, percent-encoded (RFC 6266 filename*).
  const named = await fetch(await objects.presignGet('u/alice/h1', 'text/html', 60, "보고서 (최종)'s.html"));
  expect(named.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C%20%28%EC%B5%9C%EC%A2%85%29%27s.html");
  expect(decodeURIComponent(named.headers.get('content-disposition')!.split("''")[1])).toBe("보고서 (최종)'s.html");
});

test('a PUT that differs from what was signed is refused and stores nothing', async () => {
  const bytes = png(2, 2);
  const up = await objects.presignPut('u/alice/b1', 'image/png', bytes.length, 300);
  const cases: Array<[string, Promise<Response>]> = [
    ['other type', put(up.url, bytes, { ...up.headers, 'content-type': 'application/pdf' })],
    ['longer body', put(up.url, Buffer.concat([bytes, Buffer.from('x')]), up.headers)],
    ['shorter body', put(up.url, bytes.subarray(1), up.headers)],
    ['no tag', put(up.url, bytes, { 'content-type': 'image/png' })],
    ['other key', put(up.url.replace('/u/alice/b1', '/u/mallory/b1'), bytes, up.headers)],
    ['forged signature', put(up.url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'), bytes, up.headers)],
    ['longer expiry', put(up.url.replace('X-Amz-Expires=300', 'X-Amz-Expires=3000'), bytes, up.headers)],
    ['unsigned', put(up.url.replace(/\?.*$/, ''), bytes, up.headers)],
  ];
  for (const [what, res] of cases) {
    const r = await res;
    expect([what, r.status]).toEqual([what, 403]);
    expect(await r.text()).toMatch(/SignatureDoesNotMatch|AccessDenied/);
  }
  expect(s3.keys(BUCKET).filter((k) => k.endsWith('b1'))).toEqual([]);
});

test('an expired URL is refused; one second before it is not', async () => {
  const bytes = png(2, 2);
  const signedAt = Date.now();
  const up = await objects.presignPut('u/alice/c1', 'image/png', bytes.length, 60);
  const dateMs = Date.parse(new URL(up.url).searchParams.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  expect(Math.abs(dateMs - signedAt)).toBeLessThan(2000);
  clock = dateMs + 60_001;
  expect((await put(up.url, bytes, up.headers)).status).toBe(403);
  clock = dateMs + 59_000;
  expect((await put(up.url, bytes, up.headers)).status).toBe(200);
});

test('another secret key does not sign for this endpoint', async () => {
  const other = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'guess' } });
  const url = await getSignedUrl(other, new GetObjectCommand({ Bucket: BUCKET, Key: 'u/alice/a1' }), { expiresIn: 60 });
  expect((await fetch(url)).status).toBe(403);
  await expect(other.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'u/alice/a1' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  other.destroy();
});

test('CORS: the site origin may upload, others are refused', async () => {
  const preflight = (origin: string) => fetch(`${s3.endpoint}/${BUCKET}/u/alice/x`, {
    method: 'OPTIONS', headers: { 'origin': origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-amz-tagging' },
  });
  const ok = await preflight(ORIGIN);
  expect(ok.status).toBe(200);
  expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect(ok.headers.get('access-control-allow-headers')).toContain('x-amz-tagging');
  const bad = await preflight('http://evil.example');
  expect(bad.status).toBe(403);
  expect(bad.headers.get('access-control-allow-origin')).toBeNull();
});

test('only its own Host names are served, and no cross-site request (DNS rebinding)', async () => {
  const bytes = png(2, 2);
  const up = await objects.presignPut('u/alice/h2', 'image/png', bytes.length, 300);
  const raw = (host: string, origin?: string) => new Promise<number>((resolve, reject) => {
    const u = new URL(up.url);
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method: 'PUT',
      headers: { ...up.headers, 'host': host, 'content-length': bytes.length, ...(origin ? { origin } : {}) },
    }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end(bytes);
  });
  const port = new URL(s3.endpoint).port;
  expect(await raw(`evil.example:${port}`)).toBe(403);
  expect(await raw(`127.0.0.1:${port}`, 'http://evil.example')).toBe(403);
  expect(s3.object(BUCKET, 'u/alice/h2')).toBeUndefined();
  expect(await raw(`127.0.0.1:${port}`, ORIGIN)).toBe(200);
});
