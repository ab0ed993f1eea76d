/**
 * Editing a message that has files, in real Chromium on the real local stack (its S3 endpoint,
 * history API and offline model; PROTOCOL §13 and §15): the editor shows the message's files as
 * the message does, each with a labelled remove button reached by keyboard; an edit that keeps
 * them sends them again (the request the local model server received holds both blocks), one that
 * removes a file sends and shows only the other, and the older versions keep their files. Files
 * are added in the editor as in the composer (its attach button, a paste or a drop on it): the
 * edit sends the kept files then the added ones, a refused file shows its error there and the edit
 * goes with the rest, the per-message counts include the kept files, and it fits a 360 px phone.
 */
import type { BrowserContextOptions, Locator, Page, Route } from 'playwright-core';
import { messageBox, screenshot, signIn, waitForAnswer } from './lib/browser';
import { useRecordedStack } from './lib/recorded-stack';
import { MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGE_BYTES } from '../../src/contract/attachments';
import { pdf, png, pngOfSize } from '../support/files';

const rig = useRecordedStack();

const IMAGE_NAME = 'photo.png';
/** A document name that would be markup if it were ever parsed. */
const DOC_NAME = '<img src=x onerror="window.__pwned=1">.pdf';

/** The files of the streamed model request whose newest user message says `text`. */
function filesSentWith(text: string): ReadonlyArray<{ kind: string; format: string; bytes: Uint8Array }> {
  const turns = rig.modelRequests.filter((r) => r.streaming && r.messages.at(-1)?.content.some((c) => c.text === text));
  expect(turns).toHaveLength(1);
  return turns[0].messages.at(-1)!.files ?? [];
}

/** What a user message shows of its files: image alts and document names, in order. */
async function shownFiles(li: Locator): Promise<string[]> {
  await li.locator('.attachments:not([aria-busy])').first().waitFor();
  return li.locator('.attachments').first().locator('img.attach-thumb, .attach-doc .attach-name')
    .evaluateAll((els) => els.map((e) => (e instanceof HTMLImageElement ? `image ${e.alt}` : `document ${e.textContent}`)));
}

/** Presses Shift+Tab until the focused element is named `name` (at most `max` times). */
async function shiftTabTo(page: Page, name: string, max = 8): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Shift+Tab');
    if (await page.evaluate((n) => document.activeElement?.textContent === n, name)) return;
  }
  throw new Error(`${name} was not reached by Shift+Tab`);
}

/** Saves screenshot `name`; the page does not scroll sideways at 360 px and each of `items` (with all inside it) ends inside the editor. */
async function fitsPhone(page: Page, name: string, items: string): Promise<void> {
  await screenshot(page, name);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  expect(await page.locator(items).evaluateAll((els) => els.length > 0 && els.every((e) => {
    const box = e.closest('.msg-editor')!.getBoundingClientRect();
    return [e, ...e.querySelectorAll('*')].every((x) => x.getBoundingClientRect().right <= box.right);
  }))).toBe(true);
}

const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');

interface Opened {
  page: Page;
  errors: string[];
  /** sendMessage frames the page sent, parsed. */
  sent: any[];
  /** Names of the files the page asked a slot for (POST /api/attachments). */
  slots: string[];
  close(): Promise<void>;
}

type FileSpec = { name: string; mimeType: string; buffer: Buffer };

/** A signed-in page, in English at 1200 px unless `options` say otherwise. */
async function openSignedIn(user: string, options: BrowserContextOptions = {}): Promise<Opened> {
  const context = await rig.browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 800 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  const sent: any[] = [];
  const slots: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('websocket', (ws) => ws.on('framesent', (f) => {
    const frame = JSON.parse(String(f.payload));
    if (frame.action === 'sendMessage') sent.push(frame);
  }));
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/attachments') slots.push(r.postDataJSON().name);
  });
  await page.goto(rig.stack.url);
  await signIn(page, user);
  return { page, errors, sent, slots, close: () => context.close() };
}

/** {@link openSignedIn}, with a first message sent from the composer with `files`, and the editor open on it. */
async function editMessageWith(user: string, files: FileSpec[], options: BrowserContextOptions = {}): Promise<Opened> {
  const opened = await openSignedIn(user, options);
  const { page, sent } = opened;
  await page.locator('#attach-input').setInputFiles(files);
  await page.locator('#attach-strip .strip-item.ready').nth(files.length - 1).waitFor();
  await messageBox(page).fill('first question');
  await messageBox(page).press('Enter');
  await waitForAnswer(page);
  expect(sent[0].attachmentIds).toHaveLength(files.length);
  await page.locator('li.msg.user').last().locator('.msg-edit').click();
  await page.locator('.msg-editor textarea').waitFor();
  return opened;
}


test('edit a message with an image and a document: kept, both are sent again; one removed, only the other; old versions keep their files', async () => {
  const user = 'edit-files';
  const { page, errors, sent, close } = await openSignedIn(user);

  const image = png(16, 9);
  const doc = pdf(1, 'edit test');
  await page.locator('#attach-input').setInputFiles([
    { name: IMAGE_NAME, mimeType: 'image/png', buffer: image },
    { name: DOC_NAME, mimeType: 'application/pdf', buffer: doc },
  ]);
  await page.locator('#attach-strip .strip-item.ready').nth(1).waitFor();
  await messageBox(page).fill('first question');
  await messageBox(page).press('Enter');
  await waitForAnswer(page);
  const ids: string[] = sent[0].attachmentIds;
  expect(ids).toHaveLength(2);
  const first = page.locator('li.msg.user').last();
  expect(await shownFiles(first)).toEqual([`image ${IMAGE_NAME}`, `document ${DOC_NAME}`]);

  // The editor shows both files as the message does (the thumbnail loaded), each with a remove
  // button named for it; the message's own files hide meanwhile.
  await first.getByRole('button', { name: 'Edit message' }).click();
  const editor = page.getByRole('textbox', { name: 'Edit message' });
  const files = page.locator('.msg-editor .edit-file');
  expect(await files.count()).toBe(2);
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('.msg-editor .edit-file img.attach-thumb');
    return !!img && img.complete && img.naturalWidth > 0;
  });
  expect(await page.locator('.msg-editor img.attach-thumb').getAttribute('alt')).toBe(IMAGE_NAME);
  expect(await page.locator('.msg-editor .attach-doc .attach-name').textContent()).toBe(DOC_NAME);
  expect(await page.locator('.msg-editor .attach-doc img').count()).toBe(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  expect(await page.getByRole('button', { name: `Remove ${IMAGE_NAME}` }).locator('svg').count()).toBe(1);
  expect(await page.getByRole('button', { name: `Remove ${DOC_NAME}` }).count()).toBe(1);
  expect(await first.locator(':scope > .attachments').isVisible()).toBe(false);
  await screenshot(page, 'edit-attachments.png');

  // Kept: the new version carries both ids in the same order, the model gets both blocks with
  // their bytes, and the new version shows both files.
  await editor.fill('kept both');
  await editor.press('Enter');
  await page.locator('li.msg.user .user-text', { hasText: 'kept both' }).waitFor();
  await waitForAnswer(page);
  expect(sent.at(-1)).toMatchObject({ text: 'kept both', attachmentIds: ids });
  const kept = filesSentWith('kept both');
  expect(kept.map((f) => [f.kind, f.format])).toEqual([['image', 'png'], ['document', 'pdf']]);
  expect(Buffer.from(kept[0].bytes).equals(image)).toBe(true);
  expect(Buffer.from(kept[1].bytes).equals(doc)).toBe(true);
  const second = page.locator('li.msg.user').last();
  expect(await shownFiles(second)).toEqual([`image ${IMAGE_NAME}`, `document ${DOC_NAME}`]);
  expect(await second.locator('.version-of').innerText()).toBe('2 / 2');

  // Removed by keyboard: from the text box, Shift+Tab reaches the remove buttons; Enter removes
  // the image and the focus moves to the document's remove button.
  await second.getByRole('button', { name: 'Edit message' }).click();
  await editor.waitFor();
  await shiftTabTo(page, `Remove ${IMAGE_NAME}`);
  await page.keyboard.press('Enter');
  expect(await files.count()).toBe(1);
  expect(await focusedText(page)).toBe(`Remove ${DOC_NAME}`);
  await editor.fill('document only');
  await editor.press('Enter');
  await page.locator('li.msg.user .user-text', { hasText: 'document only' }).waitFor();
  await waitForAnswer(page);
  expect(sent.at(-1)).toMatchObject({ text: 'document only', attachmentIds: [ids[1]] });
  const only = filesSentWith('document only');
  expect(only.map((f) => [f.kind, f.format])).toEqual([['document', 'pdf']]);
  expect(Buffer.from(only[0].bytes).equals(doc)).toBe(true);
  const third = page.locator('li.msg.user').last();
  expect(await shownFiles(third)).toEqual([`document ${DOC_NAME}`]);
  expect(await third.locator('.version-of').innerText()).toBe('3 / 3');

  // The older versions, through the switcher, still show both files.
  for (const [shown, text] of [['2 / 3', 'kept both'], ['1 / 3', 'first question']]) {
    await page.locator('li.msg.user').last().getByRole('button', { name: 'Previous version' }).click();
    await page.locator('li.msg.user .version-of', { hasText: shown }).waitFor();
    const li = page.locator('li.msg.user').last();
    expect(await li.locator('.user-text').innerText()).toBe(text);
    expect(await shownFiles(li)).toEqual([`image ${IMAGE_NAME}`, `document ${DOC_NAME}`]);
  }
  expect(errors).toEqual([]);
  const conversationId = /#\/c\/([\w-]+)/.exec(page.url())![1];
  await close();

  // In Korean (after the page's language is applied) at phone width, the remove buttons are named
  // in Korean and the editor does not overflow; Escape puts the message and its own files back.
  const ko = await rig.browser.newContext({ locale: 'ko-KR', viewport: { width: 360, height: 740 } });
  const kpage = await ko.newPage();
  await kpage.goto(rig.stack.url);
  await signIn(kpage, user);
  await kpage.locator('html[lang="ko"]').waitFor({ state: 'attached' });
  await kpage.goto(`${rig.stack.url}#/c/${conversationId}`);
  const message = kpage.locator('li.msg.user').last();
  await message.locator('.user-text', { hasText: 'first question' }).waitFor();
  await message.getByRole('button', { name: '메시지 편집' }).click();
  await kpage.getByRole('button', { name: `${IMAGE_NAME} 빼기` }).waitFor();
  await fitsPhone(kpage, 'edit-attachments-phone-ko.png', '.msg-editor .edit-file');
  expect(await kpage.getByRole('button', { name: `${DOC_NAME} 빼기` }).count()).toBe(1);
  await kpage.getByRole('textbox', { name: '메시지 편집' }).press('Escape');
  await kpage.locator('.msg-editor').waitFor({ state: 'detached' });
  expect(await message.locator(':scope > .attachments').isVisible()).toBe(true);
  expect(await shownFiles(message)).toEqual([`image ${IMAGE_NAME}`, `document ${DOC_NAME}`]);
  await ko.close();
});

/** The editor's added file named `name`. */
const added = (page: Page, name: string) => page.locator('.msg-editor .strip-item', { has: page.locator('.strip-name', { hasText: name }) });
/** Sends the open editor with `text` and waits for the new version's answer. */
async function sendEdit(page: Page, text: string): Promise<void> {
  await page.locator('.msg-editor textarea').fill(text);
  await page.locator('.msg-editor textarea').press('Enter');
  await page.locator('li.msg.user .user-text', { hasText: text }).waitFor();
  await waitForAnswer(page);
}
/** A drag's DataTransfer in the page holding one text file. */
const transfer = (page: Page, name: string, text: string, type = '') => page.evaluateHandle(([n, t, ty]) => {
  const data = new DataTransfer();
  data.items.add(new File([t], n, { type: ty }));
  return data;
}, [name, text, type]);
/** The composer's strip holds no file. */
const composerStripEmpty = (page: Page) => page.evaluate(() => document.querySelectorAll('#attach-strip .strip-item').length === 0);

test('a file added by the editor\'s attach button (reached by keyboard) goes after the kept one: send waits for its upload, the model gets both blocks in order', async () => {
  const image = png(16, 9);
  const doc = pdf(1, 'added while editing');
  const { page, errors, sent, close } = await editMessageWith('edit-add', [{ name: IMAGE_NAME, mimeType: 'image/png', buffer: image }]);
  const keptId: string = sent[0].attachmentIds[0];
  const editor = page.getByRole('textbox', { name: 'Edit message' });
  const attach = page.locator('.msg-editor').getByRole('button', { name: 'Attach files' });
  expect(await attach.count()).toBe(1);
  expect(await attach.locator('svg').count()).toBe(1);
  // Tab from the text reaches it first; Enter opens the file picker: the editor's file input is
  // clicked (recorded here and its dialog prevented: Playwright's filechooser event can miss a
  // dialog opened right after it starts listening).
  const picker = page.locator('.msg-editor input[type="file"]');
  await picker.evaluate((el) => el.addEventListener('click', (e) => {
    (window as any).__pickerOpened = true;
    e.preventDefault();
  }));
  await editor.focus();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Attach files');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (window as any).__pickerOpened === true);

  // Each PUT to the bucket is held until released: the upload is running for certain.
  const s3 = new URL(rig.stack.environment.history.attachments!.s3Endpoint!);
  let arrived!: () => void;
  let release!: () => void;
  const putArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route((url) => url.port === s3.port, async (route: Route) => {
    if (route.request().method() === 'PUT') {
      arrived();
      await held;
    }
    await route.continue().catch(() => undefined);
  });
  await picker.setInputFiles({ name: 'added.pdf', mimeType: 'application/pdf', buffer: doc });
  await putArrived;
  // Uploading in the editor (not the composer): its send is disabled and Enter sends nothing.
  expect(await added(page, 'added.pdf').getAttribute('class')).toContain('uploading');
  expect(await composerStripEmpty(page)).toBe(true);
  expect(await page.locator('.msg-editor button[type="submit"]').isDisabled()).toBe(true);
  await editor.fill('with a second file');
  await editor.press('Enter');
  expect(sent).toHaveLength(1);
  expect(await editor.inputValue()).toBe('with a second file');
  release();
  await added(page, 'added.pdf').and(page.locator('.ready')).waitFor();
  expect(await page.locator('.msg-editor button[type="submit"]').isEnabled()).toBe(true);

  await sendEdit(page, 'with a second file');
  const ids: string[] = sent.at(-1).attachmentIds;
  expect(ids).toHaveLength(2);
  expect(ids[0]).toBe(keptId);
  expect(ids[1]).not.toBe(keptId);
  const files = filesSentWith('with a second file');
  expect(files.map((f) => [f.kind, f.format])).toEqual([['image', 'png'], ['document', 'pdf']]);
  expect(Buffer.from(files[0].bytes).equals(image)).toBe(true);
  expect(Buffer.from(files[1].bytes).equals(doc)).toBe(true);
  const edited = page.locator('li.msg.user').last();
  expect(await shownFiles(edited)).toEqual([`image ${IMAGE_NAME}`, 'document added.pdf']);
  expect(await edited.locator('.version-of').innerText()).toBe('2 / 2');
  // The composer's message box is unchanged by all this, its strip still empty.
  expect(await composerStripEmpty(page)).toBe(true);
  expect(errors).toEqual([]);
  await close();
});

test('in the editor a file over the size limit and one over the per-message count (kept files counted) show their errors, ask for no slot, and the edit sends with the rest', async () => {
  const docs = Array.from({ length: MAX_DOCUMENTS_PER_MESSAGE }, (_, i) => ({ name: `doc${i + 1}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`문서 ${i + 1}`) }));
  const { page, errors, sent, slots, close } = await editMessageWith('edit-limits', docs);
  const keptIds: string[] = sent[0].attachmentIds;
  const picker = page.locator('.msg-editor input[type="file"]');
  expect(await picker.count()).toBe(1);
  const asked = slots.length;
  const small = png(8, 8);
  await picker.setInputFiles([
    { name: 'big.png', mimeType: 'image/png', buffer: pngOfSize(MAX_IMAGE_BYTES + 1) },
    { name: 'sixth.txt', mimeType: 'text/plain', buffer: Buffer.from('하나 더') },
    { name: 'small.png', mimeType: 'image/png', buffer: small },
  ]);
  await added(page, 'small.png').and(page.locator('.ready')).waitFor();
  expect(await added(page, 'big.png').locator('.strip-error').innerText()).toBe('An image may be at most 3.75 MB.');
  expect(await added(page, 'sixth.txt').locator('.strip-error').innerText()).toBe('A message may carry at most 20 images and 5 documents.');
  expect(slots.slice(asked)).toEqual(['small.png']);
  expect(await composerStripEmpty(page)).toBe(true);

  await sendEdit(page, 'five kept and one image');
  const ids: string[] = sent.at(-1).attachmentIds;
  expect(ids.slice(0, MAX_DOCUMENTS_PER_MESSAGE)).toEqual(keptIds);
  expect(ids).toHaveLength(MAX_DOCUMENTS_PER_MESSAGE + 1);
  const files = filesSentWith('five kept and one image');
  expect(files.map((f) => f.kind)).toEqual([...docs.map(() => 'document'), 'image']);
  expect(Buffer.from(files.at(-1)!.bytes).equals(small)).toBe(true);
  expect(errors).toEqual([]);
  await close();
});

test('in Korean at 360 px the editor\'s attach button is named in Korean, added and refused files fit (no horizontal overflow); a paste or drop on the editor goes to it, a drop elsewhere to the composer', async () => {
  const { page, errors, sent, close } = await editMessageWith('edit-add-ko', [{ name: IMAGE_NAME, mimeType: 'image/png', buffer: png(16, 9) }],
    { locale: 'ko-KR', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await page.locator('html[lang="ko"]').waitFor({ state: 'attached' });
  expect(await page.locator('.msg-editor').getByRole('button', { name: '파일 첨부' }).count()).toBe(1);
  const long = `${'아주 긴 파일 이름 '.repeat(8)}.pdf`;
  await page.locator('.msg-editor input[type="file"]').setInputFiles([
    { name: long, mimeType: 'application/pdf', buffer: pdf() },
    { name: 'big.png', mimeType: 'image/png', buffer: pngOfSize(MAX_IMAGE_BYTES + 1) },
  ]);
  await added(page, long).and(page.locator('.ready')).waitFor();
  expect(await added(page, 'big.png').locator('.strip-error').innerText()).toBe('이미지는 3.75MB까지 첨부할 수 있습니다.');
  expect(await page.getByRole('button', { name: 'big.png 빼기' }).count()).toBe(1);

  // A paste into the editor's text box: the editor gets the image, named in Korean.
  await page.evaluate((b64) => {
    const data = new DataTransfer();
    data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'image.png', { type: 'image/png' }));
    document.querySelector('.msg-editor textarea')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, png(4, 4).toString('base64'));
  await added(page, '붙여넣은 이미지 1.png').and(page.locator('.ready')).waitFor();
  // A drag over the page shows the page's drop target; moved onto the editor (enter it, leave the
  // page's element), the editor shows as the drop target instead, and a drop there takes the file.
  const dropped = await transfer(page, 'dropped.md', '# 메모');
  await page.dispatchEvent('#messages', 'dragenter', { dataTransfer: dropped });
  await page.locator('.drop-target:not([hidden])').waitFor();
  await page.dispatchEvent('.msg-editor textarea', 'dragenter', { dataTransfer: dropped });
  await page.dispatchEvent('#messages', 'dragleave', { dataTransfer: dropped });
  await page.locator('.msg-editor.drop-over').waitFor();
  await page.locator('.drop-target[hidden]').waitFor({ state: 'attached' });
  await page.dispatchEvent('.msg-editor textarea', 'drop', { dataTransfer: dropped });
  await added(page, 'dropped.md').and(page.locator('.ready')).waitFor();
  expect(await page.locator('.msg-editor.drop-over').count()).toBe(0);
  expect(await composerStripEmpty(page)).toBe(true);

  await fitsPhone(page, 'edit-add-phone-ko.png', '.msg-editor .strip-item');
  const buttons = await page.locator('.msg-editor .edit-buttons').boundingBox();
  expect(buttons!.x + buttons!.width).toBeLessThanOrEqual(360);

  // A drop outside the editor still goes to the composer.
  const outside = await transfer(page, 'composer.txt', 'composer', 'text/plain');
  await page.dispatchEvent('#messages', 'dragenter', { dataTransfer: outside });
  await page.dispatchEvent('#messages', 'drop', { dataTransfer: outside });
  await page.locator('#attach-strip .strip-item.ready', { hasText: 'composer.txt' }).waitFor();
  expect(await added(page, 'composer.txt').count()).toBe(0);

  const keptId: string = sent[0].attachmentIds[0];
  await sendEdit(page, '파일을 더해서');
  const ids: string[] = sent.at(-1).attachmentIds;
  expect(ids).toHaveLength(4);
  expect(ids[0]).toBe(keptId);
  expect(filesSentWith('파일을 더해서').map((f) => [f.kind, f.format])).toEqual([['image', 'png'], ['document', 'pdf'], ['image', 'png'], ['document', 'md']]);
  // The composer keeps its own file for the next message.
  expect(await page.locator('#attach-strip .strip-item.ready').count()).toBe(1);
  expect(errors).toEqual([]);
  await close();
});
