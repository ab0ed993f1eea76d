/**
 * Editing a message that has files, in real Chromium on the real local stack (its S3 endpoint,
 * history API and offline model; PROTOCOL §13 and §15): the editor shows the message's files as
 * the message does, each with a labelled remove button reached by keyboard; an edit that keeps
 * them sends them again (the request the local model server received holds both blocks), one that
 * removes a file sends and shows only the other, and the older versions keep their files.
 */
import type { Locator, Page } from 'playwright-core';
import { messageBox, screenshot, signIn, waitForAnswer } from './lib/browser';
import { useRecordedStack } from './lib/recorded-stack';
import { pdf, png } from '../support/files';

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

const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');

test('edit a message with an image and a document: kept, both are sent again; one removed, only the other; old versions keep their files', async () => {
  const user = 'edit-files';
  const context = await rig.browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const sent: any[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('websocket', (ws) => ws.on('framesent', (f) => {
    const frame = JSON.parse(String(f.payload));
    if (frame.action === 'sendMessage') sent.push(frame);
  }));
  await page.goto(rig.stack.url);
  await signIn(page, user);

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
  await context.close();

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
  await screenshot(kpage, 'edit-attachments-phone-ko.png');
  expect(await kpage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  expect(await kpage.locator('.msg-editor .edit-file').evaluateAll((els) => els.every((e) => {
    const box = e.closest('.msg-editor')!.getBoundingClientRect();
    return [e, ...e.querySelectorAll('*')].every((x) => x.getBoundingClientRect().right <= box.right);
  }))).toBe(true);
  expect(await kpage.getByRole('button', { name: `${DOC_NAME} 빼기` }).count()).toBe(1);
  await kpage.getByRole('textbox', { name: '메시지 편집' }).press('Escape');
  await kpage.locator('.msg-editor').waitFor({ state: 'detached' });
  expect(await message.locator(':scope > .attachments').isVisible()).toBe(true);
  expect(await shownFiles(message)).toEqual([`image ${IMAGE_NAME}`, `document ${DOC_NAME}`]);
  await ko.close();
});
