/**
 * Issue 10 in real Chromium on the real local stack (its S3 endpoint, history API and offline
 * model): attach by paste and by the file picker, previews and upload progress, send, the answer
 * acknowledging exactly the files the local model server received, both files in the history
 * after a reload; each refused file (too large by one byte, wrong type, a renamed executable) shows
 * its error and is not sent; remove before sending; send waits for an upload; phone width.
 */
import type { BrowserContextOptions, Page, Route } from 'playwright-core';
import { messageBox, screenshot, signIn, waitForAnswer } from './lib/browser';
import { useRecordedStack } from './lib/recorded-stack';
import { MAX_IMAGE_BYTES } from '../../src/contract/attachments';
import { exe, pdf, png, pngOfSize } from '../support/files';

const rig = useRecordedStack();

interface Opened {
  page: Page;
  errors: string[];
  /** sendMessage frames the page sent, parsed. */
  sent: any[];
  /** POST /api/attachments bodies the page sent (slots asked for). */
  slots: any[];
  close(): Promise<void>;
}

/** A signed-in page of the local stack (its config.json offers attachments). */
async function open(user: string, options: BrowserContextOptions = {}): Promise<Opened> {
  const context = await rig.browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 800 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  const sent: any[] = [];
  const slots: any[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('websocket', (ws) => ws.on('framesent', (f) => {
    const frame = JSON.parse(String(f.payload));
    if (frame.action === 'sendMessage') sent.push(frame);
  }));
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/attachments') slots.push(r.postDataJSON());
  });
  await page.goto(rig.stack.url);
  await signIn(page, user);
  return { page, errors, sent, slots, close: () => context.close() };
}

/** Pastes files into the message box as a real paste event with a DataTransfer (a screenshot from the clipboard). */
async function paste(page: Page, files: Array<{ name: string; type: string; bytes: Buffer }>): Promise<void> {
  await page.evaluate((list) => {
    const data = new DataTransfer();
    for (const f of list) data.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    document.getElementById('message-input')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString('base64') })));
}

/** Picks files with the attach button's file input. */
async function pick(page: Page, files: Array<{ name: string; mimeType: string; buffer: Buffer }>): Promise<void> {
  await page.locator('#attach-input').setInputFiles(files);
}

const items = (page: Page) => page.locator('#attach-strip .strip-item');
const item = (page: Page, name: string) => page.locator('#attach-strip .strip-item').filter({ has: page.locator('.strip-name', { hasText: name }) });
const sendButton = (page: Page) => page.locator('#send');

/** Calls the history API from the page as `user` (a fresh local token for the same user). */
async function apiFromPage(page: Page, user: string, path: string): Promise<{ status: number; body: any }> {
  return page.evaluate(async ({ u, p }) => {
    const login = await (await fetch('/local/login', { method: 'POST', body: JSON.stringify({ username: u }) })).json();
    const res = await fetch(`/api${p}`, { headers: { authorization: `Bearer ${login.idToken}` } });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  }, { u: user, p: path });
}

/** The bytes of an attachment as stored, read back through its presigned GET. */
async function storedBytes(page: Page, user: string, attachmentId: string): Promise<Buffer> {
  const { body } = await apiFromPage(page, user, `/attachments/${attachmentId}/content?redirect=false`);
  return Buffer.from(await (await fetch(body.url as string)).arrayBuffer());
}

test('paste a PNG and pick a PDF: previews, progress to done, sent with the message, acknowledged by the model, in the history after a reload', async () => {
  const user = 'attacher';
  const { page, errors, sent, close } = await open(user);
  expect(await page.locator('#attach').isVisible()).toBe(true);
  expect(await page.locator('#attach').getAttribute('aria-label')).toBe('Attach files');
  expect((await page.locator('#attach-input').getAttribute('accept'))!.split(',')).toEqual(expect.arrayContaining(['image/png', 'application/pdf', 'text/markdown', '.md']));
  const image = png(16, 9);
  const doc = pdf(1, 'attachments test');
  // Every upload status the strip shows, as it shows it.
  await page.evaluate(() => {
    const seen: string[] = ((window as any).statuses = []);
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('#attach-strip .strip-percent')) if (el.textContent && !seen.includes(el.textContent)) seen.push(el.textContent);
    }).observe(document.getElementById('attach-strip')!, { subtree: true, childList: true, characterData: true });
  });
  await paste(page, [{ name: 'image.png', type: 'image/png', bytes: image }]);
  await pick(page, [{ name: '보고서_2024.final.pdf', mimeType: 'application/pdf', buffer: doc }]);

  // Both previews: the pasted image named for the UI language, with a thumbnail; the document by name and size.
  await page.locator('#attach-strip .strip-item.ready').nth(1).waitFor();
  expect(await items(page).count()).toBe(2);
  expect(await items(page).locator('.strip-name').allTextContents()).toEqual(['Pasted image 1.png', '보고서_2024.final.pdf']);
  await item(page, 'Pasted image 1.png').locator('.strip-thumb img[src^="data:image/png"]').waitFor();
  expect(await item(page, '보고서').locator('.strip-thumb.doc').count()).toBe(1);
  expect(await item(page, '보고서').locator('.strip-size').innerText()).toBe(`${doc.length} B`);
  // Remove is a labelled button with a drawn icon (no text glyph).
  expect(await item(page, 'Pasted').getByRole('button', { name: 'Remove Pasted image 1.png' }).locator('svg').count()).toBe(1);
  expect(await page.locator('#attach').locator('svg').count()).toBe(1);
  expect(await page.locator('#attach-strip progress').count()).toBe(0);
  // Each showed its progress from the PUT's upload events, up to 100 %.
  const statuses: string[] = await page.evaluate(() => (window as any).statuses);
  expect(statuses).toContain('Uploading 100%');
  await screenshot(page, 'attachments-strip.png');

  await messageBox(page).fill('이 사진과 보고서를 요약해 주세요');
  await messageBox(page).press('Enter');
  // The strip clears; the bubble shows both files at once.
  await page.locator('#attach-strip').waitFor({ state: 'hidden' });
  expect(await items(page).count()).toBe(0);
  const bubble = page.locator('li.msg.user').last();
  await bubble.locator('.attachments img[alt="Pasted image 1.png"]').waitFor();
  await bubble.locator('.attachments', { hasText: '보고서_2024.final.pdf' }).waitFor();

  // One frame with both ids, in the order shown.
  expect(sent).toHaveLength(1);
  const ids: string[] = sent[0].attachmentIds;
  expect(ids).toHaveLength(2);

  // The answer streams; the offline model lists what the local model server received: one image, one document.
  const answer = await waitForAnswer(page);
  const text = await answer.locator('.markdown').innerText();
  const received = text.split('\n').filter((l) => l.startsWith('[offline model] image') || l.startsWith('[offline model] document'));
  expect(received).toEqual([
    `[offline model] image png, ${image.length} bytes, 16×9 px`,
    `[offline model] document pdf "보고서 2024 final pdf", ${doc.length} bytes, 1 page`,
  ]);
  // The request the local model server received: the turn's user message holds one image block
  // and one document block, in the order shown, with exactly the uploaded bytes.
  const turn = rig.modelRequests.filter((r) => r.streaming && r.messages.at(-1)?.content.some((c) => c.text?.includes('이 사진과 보고서를 요약해 주세요')));
  expect(turn).toHaveLength(1);
  const files = turn[0].messages.at(-1)!.files ?? [];
  expect(files.map((f) => [f.kind, f.format])).toEqual([['image', 'png'], ['document', 'pdf']]);
  expect(Buffer.from(files[0].bytes).equals(image)).toBe(true);
  expect(Buffer.from(files[1].bytes).equals(doc)).toBe(true);
  // What it was given is what was uploaded, byte for byte.
  expect((await storedBytes(page, user, ids[0])).equals(image)).toBe(true);
  expect((await storedBytes(page, user, ids[1])).equals(doc)).toBe(true);

  // After a reload, the history shows both files.
  await page.reload();
  await page.locator('#connection[data-state="online"]').waitFor();
  const stored = page.locator('li.msg.user').last();
  await stored.locator('.attachments img[alt="Pasted image 1.png"]').waitFor();
  await stored.locator('.attachments', { hasText: '보고서_2024.final.pdf' }).waitFor();
  const conversationId = /#\/c\/([\w-]+)/.exec(page.url())![1];
  await screenshot(page, 'attachments-history.png');
  const history = await apiFromPage(page, user, `/conversations/${conversationId}/messages`);
  expect(history.body.items[0].attachments.map((a: any) => a.attachmentId)).toEqual(ids);
  expect(errors).toEqual([]);
  await close();
});

test('in Korean: a pasted image is named in Korean; one byte over the image limit, a wrong type and a renamed executable each show their error, ask for nothing or keep nothing, and are not sent', async () => {
  const user = 'refused';
  const { page, sent, slots, close } = await open(user, { locale: 'ko-KR' });
  await page.locator('html[lang="ko"]').waitFor();
  // A pasted image gets a name in the UI language; a pasted document keeps its own.
  await paste(page, [{ name: 'image.png', type: 'image/png', bytes: png(4, 4) }, { name: '메모.txt', type: 'text/plain', bytes: Buffer.from('메모') }]);
  await item(page, '메모.txt').and(page.locator('.ready')).waitFor();
  await item(page, '메모.txt').getByRole('button').click();
  await pick(page, [
    { name: 'at-limit.png', mimeType: 'image/png', buffer: pngOfSize(MAX_IMAGE_BYTES) },
    { name: 'over-limit.png', mimeType: 'image/png', buffer: pngOfSize(MAX_IMAGE_BYTES + 1) },
    { name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: exe() },
    { name: 'archive.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\u0005\u0006') },
    { name: 'photo.png', mimeType: 'image/png', buffer: exe() },
  ]);
  await item(page, '붙여넣은 이미지 1.png').and(page.locator('.ready')).waitFor();
  await item(page, 'at-limit.png').and(page.locator('.ready')).waitFor();
  await item(page, 'photo.png').and(page.locator('.failed')).waitFor();
  const error = (name: string) => item(page, name).locator('.strip-error').innerText();
  expect(await error('over-limit.png')).toBe('이미지는 3.75MB까지 첨부할 수 있습니다.');
  expect(await error('setup.exe')).toContain('이 형식은 첨부할 수 없습니다.');
  expect(await error('archive.zip')).toContain('이 형식은 첨부할 수 없습니다.');
  expect(await error('photo.png')).toBe('실행 파일은 첨부할 수 없습니다.');
  await screenshot(page, 'attachments-errors-ko.png');
  // The client's checks asked the server for nothing; the renamed program got a slot, and the check forgot it.
  expect(slots.map((s) => s.name).sort()).toEqual(['at-limit.png', 'photo.png', '메모.txt', '붙여넣은 이미지 1.png'].sort());
  expect(slots.find((s) => s.name === 'at-limit.png').size).toBe(MAX_IMAGE_BYTES);

  // A language switch re-renders the strip's text.
  await page.locator('#settings-button').click();
  await page.locator('[data-setting="lang"][data-value="en"]').click();
  await page.locator('html[lang="en"]').waitFor();
  expect(await error('photo.png')).toBe('Programs cannot be attached.');
  expect(await error('over-limit.png')).toBe('An image may be at most 3.75 MB.');

  // Remove before sending, by keyboard: the pasted image goes, focus stays in the strip.
  await item(page, '붙여넣은 이미지 1.png').getByRole('button', { name: 'Remove 붙여넣은 이미지 1.png' }).focus();
  await page.keyboard.press('Enter');
  expect(await item(page, '붙여넣은 이미지 1.png').count()).toBe(0);
  expect(await page.evaluate(() => document.activeElement?.closest('.strip-item')?.querySelector('.strip-name')?.textContent)).toBe('at-limit.png');

  await messageBox(page).fill('what is in the picture?');
  await messageBox(page).press('Enter');
  await waitForAnswer(page);
  // Only the file that is ready went; the failed ones left with the strip.
  expect(sent).toHaveLength(1);
  expect(sent[0].attachmentIds).toHaveLength(1);
  const info = await apiFromPage(page, user, `/attachments/${sent[0].attachmentIds[0]}`);
  expect(info.body).toMatchObject({ name: 'at-limit.png', size: MAX_IMAGE_BYTES, status: 'ready' });
  expect(await items(page).count()).toBe(0);
  await close();
});

test('edges: a name of 200 characters goes and 201 is refused; 5 documents go and a 6th is refused; the 201st upload of a day gets the daily error', async () => {
  const { page, slots, close } = await open('edges');
  const name = (chars: number) => `${'가'.repeat(chars - 4)}.txt`;
  await pick(page, [
    { name: name(200), mimeType: 'text/plain', buffer: Buffer.from('a') },
    { name: name(201), mimeType: 'text/plain', buffer: Buffer.from('b') },
    ...['2', '3', '4', '5', '6'].map((n) => ({ name: `doc-${n}.md`, mimeType: 'text/markdown', buffer: Buffer.from(`# ${n}`) })),
  ]);
  await page.locator('#attach-strip .strip-item.ready').nth(4).waitFor();
  // (By position: one name is the start of the other.)
  expect(await items(page).nth(0).getAttribute('class')).toContain('ready');
  expect(await items(page).nth(1).locator('.strip-error').innerText()).toBe('A file name must be at most 200 characters, with a letter or digit and no control characters.');
  expect(await item(page, 'doc-6.md').locator('.strip-error').innerText()).toBe('A message may carry at most 20 images and 5 documents.');
  expect(slots.map((s) => s.name)).toEqual([name(200), 'doc-2.md', 'doc-3.md', 'doc-4.md', 'doc-5.md']);
  await close();

  // Another user takes 200 slots of today from the API; the page's next file is refused by the server.
  const other = await open('daily', { locale: 'ko-KR' });
  await other.page.locator('html[lang="ko"]').waitFor();
  const taken = await other.page.evaluate(async () => {
    const login = await (await fetch('/local/login', { method: 'POST', body: JSON.stringify({ username: 'daily' }) })).json();
    const headers = { 'authorization': `Bearer ${login.idToken}`, 'content-type': 'application/json' };
    let created = 0;
    for (let i = 0; i < 200; i++) {
      const r = await fetch('/api/attachments', { method: 'POST', headers, body: JSON.stringify({ name: `n${i}.txt`, contentType: 'text/plain', size: 1 }) });
      if (r.status === 201) created++;
    }
    return created;
  });
  expect(taken).toBe(200);
  await pick(other.page, [{ name: 'one-too-many.txt', mimeType: 'text/plain', buffer: Buffer.from('x') }]);
  await item(other.page, 'one-too-many.txt').and(other.page.locator('.failed')).waitFor();
  expect(await item(other.page, 'one-too-many.txt').locator('.strip-error').innerText()).toBe('오늘 올릴 수 있는 양을 다 썼습니다. 내일(UTC) 다시 시도해 주세요.');
  await other.close();
});

test('send waits while a file uploads (its PUT held until checked), then sends it; a removed upload is not sent', async () => {
  const { page, sent, close } = await open('waiter');
  const s3 = new URL(rig.stack.environment.history.attachments!.s3Endpoint!);
  /** Holds each PUT to the bucket until `release` (set per file below). */
  let gate: { held: Promise<void>; arrived(): void } | undefined;
  const hold = () => {
    let arrived!: () => void;
    let release!: () => void;
    const putArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    gate = { arrived, held: new Promise<void>((resolve) => { release = resolve; }) };
    return { putArrived, release };
  };
  await page.route((url) => url.port === s3.port, async (route: Route) => {
    if (route.request().method() === 'PUT' && gate) {
      gate.arrived();
      await gate.held;
    }
    await route.continue().catch(() => undefined);
  });
  const first = hold();
  await messageBox(page).fill('a message waiting for its file');
  await pick(page, [{ name: 'slow.pdf', mimeType: 'application/pdf', buffer: pdf(2) }]);
  await first.putArrived;
  // The upload is running: its bar shows, send is disabled, and Enter sends nothing.
  expect(await item(page, 'slow.pdf').getAttribute('class')).toContain('uploading');
  expect(await item(page, 'slow.pdf').locator('progress').count()).toBe(1);
  expect(await sendButton(page).isDisabled()).toBe(true);
  await messageBox(page).press('Enter');
  expect(await messageBox(page).inputValue()).toBe('a message waiting for its file');
  expect(sent).toHaveLength(0);
  first.release();
  await item(page, 'slow.pdf').and(page.locator('.ready')).waitFor();
  expect(await sendButton(page).isEnabled()).toBe(true);

  // A second file removed while uploading never goes with the message, and no longer holds send.
  const second = hold();
  await pick(page, [{ name: 'dropped.txt', mimeType: 'text/plain', buffer: Buffer.from('안녕하세요') }]);
  await second.putArrived;
  expect(await sendButton(page).isDisabled()).toBe(true);
  await item(page, 'dropped.txt').getByRole('button', { name: 'Remove dropped.txt' }).click();
  expect(await item(page, 'dropped.txt').count()).toBe(0);
  expect(await sendButton(page).isEnabled()).toBe(true);
  second.release();
  await messageBox(page).press('Enter');
  await waitForAnswer(page);
  expect(sent).toHaveLength(1);
  expect(sent[0].attachmentIds).toHaveLength(1);
  await close();
});

test('a file another message used meanwhile: the send is refused NOT_FOUND, the answer says a file is gone, nothing is stored', async () => {
  const user = 'raced';
  const { page, sent, close } = await open(user);
  const completed = page.waitForResponse((r) => r.url().endsWith('/complete'));
  await pick(page, [{ name: 'shared.txt', mimeType: 'text/plain', buffer: Buffer.from('한 번만') }]);
  const fileId: string = (await (await completed).json()).attachmentId;
  await item(page, 'shared.txt').and(page.locator('.ready')).waitFor();
  // The same user's other connection sends a message with that file first.
  const accepted = await page.evaluate(async ({ u, id }) => {
    const config = await (await fetch('/config.json')).json();
    const login = await (await fetch('/local/login', { method: 'POST', body: JSON.stringify({ username: u }) })).json();
    const ws = new WebSocket(`${config.webSocketUrl}?token=${encodeURIComponent(login.idToken)}`);
    await new Promise((resolve) => ws.addEventListener('open', resolve));
    const first = new Promise<any>((resolve) => ws.addEventListener('message', (e) => resolve(JSON.parse(e.data))));
    ws.send(JSON.stringify({ action: 'sendMessage', messageId: 'other-tab-0001', text: 'first', attachmentIds: [id] }));
    const frame = await first;
    ws.close();
    return frame;
  }, { u: user, id: fileId });
  expect(accepted).toMatchObject({ type: 'accepted' });
  const before = await apiFromPage(page, user, '/conversations');

  await messageBox(page).fill('second');
  await messageBox(page).press('Enter');
  const answer = page.locator('li.msg.assistant.failed').last();
  await answer.waitFor();
  expect(await answer.locator('.msg-error').innerText()).toContain('The conversation or an attached file no longer exists.');
  expect(sent.at(-1).attachmentIds).toEqual([fileId]);
  expect((await apiFromPage(page, user, '/conversations')).body.items).toHaveLength(before.body.items.length);
  await close();
});

test('a message split into parts carries the same attachmentIds on every part; the model gets the file once', async () => {
  const { page, sent, close } = await open('splitter');
  const doc = pdf(3, 'split');
  await pick(page, [{ name: 'long.pdf', mimeType: 'application/pdf', buffer: doc }]);
  await item(page, 'long.pdf').and(page.locator('.ready')).waitFor();
  // 12,000 Hangul characters: 36,000 bytes of text, over one 32 KiB frame.
  await messageBox(page).fill('가'.repeat(12_000));
  await messageBox(page).press('Enter');
  const answer = await waitForAnswer(page);
  expect(sent.length).toBeGreaterThan(1);
  expect(sent.map((f) => f.part.count)).toEqual(sent.map(() => sent.length));
  const ids = sent[0].attachmentIds;
  expect(ids).toHaveLength(1);
  for (const f of sent) expect(f.attachmentIds).toEqual(ids);
  const text = await answer.locator('.markdown').innerText();
  expect(text.split('\n').filter((l) => l.startsWith('[offline model] document'))).toEqual([`[offline model] document pdf "long pdf", ${doc.length} bytes, 3 pages`]);
  await close();
});

test('a drop on the page shows a drop target and attaches the files', async () => {
  const { page, close } = await open('dropper');
  const handle = await page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['# 제목\n본문'], 'notes.md', { type: '' }));
    return data;
  });
  await page.dispatchEvent('#messages', 'dragenter', { dataTransfer: handle });
  await page.locator('.drop-target:not([hidden])').waitFor();
  expect(await page.locator('.drop-target').innerText()).toBe('Drop files here to attach them');
  await page.dispatchEvent('#messages', 'drop', { dataTransfer: handle });
  await page.locator('.drop-target[hidden]').waitFor({ state: 'attached' });
  await item(page, 'notes.md').and(page.locator('.ready')).waitFor();
  // Taken once, at the drop (not at the dragenter, whose DataTransfer here has the file too).
  expect(await items(page).count()).toBe(1);
  await close();
});

test('at phone width (360 px) the strip wraps inside the page: no horizontal overflow', async () => {
  const { page, close } = await open('phone', { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const long = `${'아주 긴 파일 이름 '.repeat(8)}.pdf`;
  await pick(page, [
    { name: long, mimeType: 'application/pdf', buffer: pdf() },
    { name: 'b.png', mimeType: 'image/png', buffer: png(300, 100) },
    { name: 'c.png', mimeType: 'image/png', buffer: png(10, 10) },
    { name: 'd.txt', mimeType: 'text/plain', buffer: Buffer.from('d') },
  ]);
  await page.locator('#attach-strip .strip-item.ready').nth(3).waitFor();
  await screenshot(page, 'attachments-phone.png');
  const widths = await page.evaluate(() => {
    const strip = document.getElementById('attach-strip')!;
    const right = Math.max(...[...strip.children].map((c) => c.getBoundingClientRect().right));
    const root = document.documentElement;
    return { page: root.scrollWidth, view: root.clientWidth, strip: strip.scrollWidth, stripBox: strip.clientWidth, right };
  });
  expect(widths.page).toBeLessThanOrEqual(widths.view);
  expect(widths.strip).toBeLessThanOrEqual(widths.stripBox);
  expect(widths.right).toBeLessThanOrEqual(widths.view);
  await close();
});
