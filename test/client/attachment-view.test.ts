import type { Browser, Page, Route } from 'playwright-core';
import { launch, openApp, signIn } from './lib/browser';
import type { MessageItem, Page as HistoryPage } from '../../src/contract/protocol';
import { LocalStack, startLocalStack } from '../../src/local/stack';
import { pdf, png } from '../support/files';

// History shows a message's files after a reload, in real Chromium on the real local stack: files
// uploaded through the API as the page does, a message sent with their ids over the stack's own
// WebSocket, then the page reloaded. Thumbnails load from presigned GETs of the local S3 endpoint;
// names are text; another user's file shows nothing of it; the view is a chunk fetched only for a
// message with files, and its placeholder has the size of what replaces it.

let stack: LocalStack;
let browser: Browser;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, inMemory: true, model: 'offline-fast', log: () => undefined });
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A PDF of exactly `bytes` bytes (a comment line pads it). */
function pdfOfSize(bytes: number): Buffer {
  const base = pdf(1, '').length;
  return pdf(1, 'x'.repeat(bytes - base));
}

interface Upload { name: string; type: string; bytes: Buffer }

/** Uploads files as `user` from inside the page (slot, presigned PUT, check); returns their ids. */
function uploadAll(page: Page, user: string, files: Upload[]): Promise<string[]> {
  return page.evaluate(async ({ who, list }) => {
    const login = await (await fetch('/local/login', { method: 'POST', body: JSON.stringify({ username: who }) })).json();
    const auth = { 'authorization': `Bearer ${login.idToken}`, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (const f of list) {
      const body = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      const slot = await (await fetch('/api/attachments', { method: 'POST', headers: auth, body: JSON.stringify({ name: f.name, contentType: f.type, size: body.length }) })).json();
      const put = await fetch(slot.upload.url, { method: 'PUT', headers: slot.upload.headers, body });
      const done = await fetch(`/api/attachments/${slot.attachmentId}/complete`, { method: 'POST', headers: auth });
      if (put.status !== 200 || done.status !== 200) throw new Error(`upload of ${f.name}: PUT ${put.status}, complete ${done.status}`);
      ids.push(slot.attachmentId);
    }
    return ids;
  }, { who: user, list: files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString('base64') })) });
}

/** Sends a message with `attachmentIds` over a WebSocket of the page's own stack and waits for its answer; returns the conversation. */
function sendWithFiles(page: Page, user: string, text: string, attachmentIds: string[]): Promise<string> {
  return page.evaluate(async ({ who, message, ids }) => {
    const login = await (await fetch('/local/login', { method: 'POST', body: JSON.stringify({ username: who }) })).json();
    const config = await (await fetch('/config.json')).json();
    const ws = new WebSocket(`${config.webSocketUrl}?token=${encodeURIComponent(login.idToken)}`);
    return new Promise<string>((resolve, reject) => {
      let conversationId = '';
      ws.onopen = () => ws.send(JSON.stringify({ action: 'sendMessage', messageId: `files${Date.now()}`, text: message, attachmentIds: ids }));
      ws.onmessage = (e) => {
        const f = JSON.parse(e.data as string);
        if (f.type === 'accepted') conversationId = f.conversationId;
        if (f.type === 'error') reject(new Error(`${f.code}: ${f.message}`));
        if (f.type === 'done') {
          ws.close();
          resolve(conversationId);
        }
      };
    });
  }, { who: user, message: text, ids: attachmentIds });
}

/** Waits for thumbnail `img` to have loaded its presigned GET; its natural width. */
function loadedWidth(page: Page, alt: string): Promise<number> {
  return page.locator('img.attach-thumb[src]').and(page.locator(`[alt="${alt.replace(/"/g, '\\"')}"]`)).evaluate((img: HTMLImageElement) =>
    img.complete ? img.naturalWidth : new Promise<number>((resolve, reject) => {
      img.addEventListener('load', () => resolve(img.naturalWidth));
      img.addEventListener('error', () => reject(new Error('thumbnail did not load')));
    }));
}

const HOSTILE = '<img src=x onerror="window.__pwned=1">.png';
const HOSTILE_DOC = '<b onmouseover=alert(1)>notes</b>.txt';

test('after a reload the history shows the thumbnail and the PDF with its size in either language; names are text', async () => {
  const { page, errors, context } = await openApp(browser, stack.url);
  const chunkRequests: string[] = [];
  const contentRequests: string[] = [];
  page.on('request', (r) => {
    if (/attachment-view-/.test(r.url())) chunkRequests.push(r.url());
    if (/\/api\/attachments\/[^/]+\/content/.test(r.url())) contentRequests.push(r.url());
  });
  await signIn(page, 'viewer');
  const report = pdfOfSize(182_004);
  const ids = await uploadAll(page, 'viewer', [
    { name: 'cat.png', type: 'image/png', bytes: png(40, 30) },
    { name: '보고서_2024.final.pdf', type: 'application/pdf', bytes: report },
    { name: HOSTILE, type: 'image/png', bytes: png(3, 5) },
    { name: HOSTILE_DOC, type: 'text/plain', bytes: Buffer.from('plain notes') },
  ]);
  // Nothing with files is shown yet: the view's chunk has not been fetched.
  expect(chunkRequests).toEqual([]);
  const conversationId = await sendWithFiles(page, 'viewer', '이 사진과 보고서를 요약해 주세요', ids);

  await page.goto(`${stack.url}/#/c/${conversationId}`);
  await page.reload();
  const user = page.locator('li.msg.user');
  await user.locator('.user-text', { hasText: '이 사진과 보고서를 요약해 주세요' }).waitFor();
  // A thumbnail is asked for when it comes into view: the answer below is long, so it is not yet.
  await user.locator('.attach-doc').first().waitFor();
  expect(contentRequests).toEqual([]);
  await user.locator('.attachments').scrollIntoViewIfNeeded();
  expect(await loadedWidth(page, 'cat.png')).toBe(40);
  expect(await loadedWidth(page, HOSTILE)).toBe(3);
  // Above the text, in the order sent (images in a row, then the documents).
  expect(await user.locator('.attachments, .user-text').evaluateAll((els) => els.map((e) => e.className))).toEqual(['attachments', 'bubble user-text']);
  expect(await user.locator('img.attach-thumb').evaluateAll((imgs) => imgs.map((i) => [i.getAttribute('alt'), i.getAttribute('width'), i.getAttribute('height'), i.getAttribute('loading')])))
    .toEqual([['cat.png', '40', '30', 'lazy'], [HOSTILE, '3', '5', 'lazy']]);
  const link = user.locator('a.attach-image').first();
  expect([await link.getAttribute('target'), await link.getAttribute('rel')]).toEqual(['_blank', 'noopener noreferrer']);
  expect(new URL((await link.getAttribute('href'))!).origin).not.toBe(new URL(stack.url).origin);
  // A click opens the full image from the bucket in a new tab.
  const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await tab.waitForLoadState('load');
  expect(await tab.evaluate(() => [document.contentType, document.images[0]?.naturalWidth])).toEqual(['image/png', 40]);
  expect(new URL(tab.url()).pathname).toContain(ids[0]);
  await tab.close();

  const doc = user.locator('.attach-doc').first();
  expect(await doc.locator('.attach-name').textContent()).toBe('보고서_2024.final.pdf');
  expect(await doc.locator('.attach-badge').textContent()).toBe('PDF');
  expect(await doc.locator('.attach-size').textContent()).toBe('182 KB');
  expect(await user.locator('.attach-doc .attach-name').nth(1).textContent()).toBe(HOSTILE_DOC);
  // The names stayed text: no element was made from them, nothing ran.
  expect(await page.locator('img[src="x"], li.msg b').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

  // The size follows the language (Korean writes no space before the unit).
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('menuitemradio', { name: '한국어' }).click();
  await page.locator('html[lang="ko"]').waitFor({ state: 'attached' });
  expect(await doc.locator('.attach-size').textContent()).toBe('182KB');
  expect(await doc.locator('.attach-download').textContent()).toBe('다운로드');

  // Download asks for a fresh URL and saves the file under its name.
  const [download] = await Promise.all([page.waitForEvent('download'), doc.locator('.attach-download').click()]);
  expect(download.suggestedFilename()).toBe('보고서_2024.final.pdf');
  const saved = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of saved) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks)).toEqual(report);

  expect(chunkRequests).toHaveLength(1);
  expect(errors).toEqual([]);
  await context.close();
});

test('a file that is gone, or another user\'s, shows a note and nothing of it; the placeholder keeps the size', async () => {
  const { page, context } = await openApp(browser, stack.url);
  await signIn(page, 'owner');
  const [own] = await uploadAll(page, 'owner', [{ name: 'wide.png', type: 'image/png', bytes: png(200, 50) }]);
  const [theirs] = await uploadAll(page, 'mallory', [{ name: 'secret.png', type: 'image/png', bytes: png(8, 8) }]);
  const conversationId = await sendWithFiles(page, 'owner', 'one picture', [own]);

  // History as the server sends it, plus an entry naming mallory's file (as if the list were forged).
  await page.route('**/api/conversations/*/messages*', async (route: Route) => {
    const res = await route.fetch();
    const body = (await res.json()) as HistoryPage<MessageItem>;
    for (const m of body.items) {
      if (m.role === 'user') m.attachments = [...m.attachments!, { attachmentId: theirs, name: 'secret.png', contentType: 'image/png', size: 100, width: 8, height: 8 }];
    }
    await route.fulfill({ response: res, json: body });
  });
  // The view's chunk is held back until the placeholder is measured.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let chunkAsked!: () => void;
  const asked = new Promise<void>((r) => (chunkAsked = r));
  await page.route(/attachment-view-[^/]*\.js$/, async (route) => {
    chunkAsked();
    await held;
    await route.continue();
  });
  const bucketGets: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes(`/${theirs}`)) bucketGets.push(r.url());
  });

  await page.goto(`${stack.url}/#/c/${conversationId}`);
  await page.reload();
  await asked;
  const slot = page.locator('li.msg.user .attachments');
  await slot.waitFor();
  const placeholder = await slot.locator('.attach-ph').evaluateAll((els) => els.map((e) => [e.getBoundingClientRect().width, e.getBoundingClientRect().height]));
  expect(placeholder).toEqual([[240, 96], [96, 96]]);
  release();

  const shown = page.locator('li.msg.user .attachments:not([aria-busy])');
  await shown.waitFor();
  await shown.scrollIntoViewIfNeeded();
  expect(await loadedWidth(page, 'wide.png')).toBe(200);
  // 200×50 at 96 px high would be 384 px wide: the thumbnail is capped at 240, as the placeholder was.
  const thumb = await page.locator('img.attach-thumb').first().evaluate((e) => [e.getBoundingClientRect().width, e.getBoundingClientRect().height]);
  expect(thumb).toEqual(placeholder[0]);
  const gone = page.locator('.attach-gone');
  await gone.waitFor();
  expect(await gone.locator('.attach-note').textContent()).toBe('This file is no longer available.');
  expect(await page.locator(`[data-attachment-id="${theirs}"] img, a[data-attachment-id="${theirs}"]`).count()).toBe(0);
  // Only the API was asked about it (404); the bucket never was.
  expect(bucketGets.every((u) => u.startsWith(`${stack.url}/api/attachments/${theirs}/content`))).toBe(true);
  expect(bucketGets.length).toBe(1);
  await context.close();
});
