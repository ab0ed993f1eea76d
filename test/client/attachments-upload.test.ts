import type { Browser } from 'playwright-core';
import { launch, openApp } from './lib/browser';
import { LOCAL_ATTACHMENTS_BUCKET, LocalStack, startLocalStack } from '../../src/local/stack';
import { exe, png } from '../support/files';

// A real browser on the local stack's page uploads an attachment the way the client will: a slot
// from /api, a cross-origin presigned PUT to the stack's S3 endpoint (CORS preflight, the page's
// Content-Security-Policy), then the check. What the page may not do is refused.

let stack: LocalStack;
let browser: Browser;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, inMemory: true, model: 'offline', log: () => undefined });
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Runs the three steps inside the page; returns what each answered. */
async function uploadFromPage(page: import('playwright-core').Page, bytes: Buffer, fileName: string, fileType: string) {
  return page.evaluate(async ({ b64, name, type }) => {
    const body = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const login = await (await fetch('/local/login', { method: 'POST', body: JSON.stringify({ username: 'uploader' }) })).json();
    const auth = { 'authorization': `Bearer ${login.idToken}`, 'content-type': 'application/json' };
    const slot = await fetch('/api/attachments', { method: 'POST', headers: auth, body: JSON.stringify({ name, contentType: type, size: body.length }) });
    const s = await slot.json();
    let put: number | string;
    try {
      put = (await fetch(s.upload.url, { method: 'PUT', headers: s.upload.headers, body })).status;
    } catch (err) {
      put = String(err);
    }
    const done = await fetch(`/api/attachments/${s.attachmentId}/complete`, { method: 'POST', headers: auth });
    return { slot: slot.status, id: s.attachmentId as string, url: s.upload.url as string, put, complete: done.status, body: await done.json() };
  }, { b64: bytes.toString('base64'), name: fileName, type: fileType });
}

test('the page uploads a PNG to the presigned URL across origins, and the check makes it ready', async () => {
  const { page, errors, context } = await openApp(browser, stack.url);
  const bytes = png(16, 9);
  const r = await uploadFromPage(page, bytes, '화면.png', 'image/png');
  expect(r).toMatchObject({ slot: 201, put: 200, complete: 200, body: { status: 'ready', width: 16, height: 9, name: '화면.png' } });
  expect(new URL(r.url).origin).not.toBe(new URL(stack.url).origin);
  expect(errors).toEqual([]);
  await context.close();
});

test('a renamed executable uploads but is refused by the check (test/handlers/attachments.test.ts shows its object and record deleted)', async () => {
  const { page, context } = await openApp(browser, stack.url);
  const r = await uploadFromPage(page, exe(), 'photo.png', 'image/png');
  expect(r).toMatchObject({ slot: 201, put: 200, complete: 400, body: { code: 'BAD_REQUEST', message: expect.stringContaining('executable') } });
  expect(r.url).toContain(`/${LOCAL_ATTACHMENTS_BUCKET}/`);
  // The page cannot read the bucket without a signature.
  expect(await page.evaluate(async (url) => (await fetch(url.replace(/\?.*$/, ''))).status, r.url)).toBe(403);
  // And the API has forgotten the attachment.
  expect(await page.evaluate(async (id) => {
    const login = await (await fetch('/local/login', { method: 'POST', body: JSON.stringify({ username: 'uploader' }) })).json();
    return (await fetch(`/api/attachments/${id}`, { headers: { authorization: `Bearer ${login.idToken}` } })).status;
  }, r.id)).toBe(404);
  await context.close();
});
