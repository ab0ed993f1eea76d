/**
 * The message box in real Chromium: Enter during IME composition never sends (Chromium's own
 * IME path through CDP `Input.imeSetComposition`, and Safari's event order replayed), Enter after
 * the commit sends exactly once, Shift+Enter breaks the line, a message over one 32 KiB frame goes
 * out in parts, and the character limit is shown and enforced at its edge.
 */
import type { Page, WebSocket as PwWebSocket } from 'playwright-core';
import { messageBox, openApp, signIn, waitForAnswer } from './lib/browser';
import { startStack, useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser();

/** Opens the app signed in, recording every frame the page sends on its WebSocket. */
async function openRecording(user: string): Promise<{ page: Page; sent: string[] }> {
  const { page } = await openApp(env.browser, 'about:blank');
  const sent: string[] = [];
  page.on('websocket', (ws: PwWebSocket) => ws.on('framesent', (f) => sent.push(String(f.payload))));
  await page.goto(env.stack.url);
  await signIn(page, user);
  return { page, sent };
}

function sendFrames(sent: string[]): Array<{ messageId: string; text: string; part?: { index: number; count: number } }> {
  return sent.map((s) => JSON.parse(s)).filter((f) => f.action === 'sendMessage');
}

test('Enter during a Chromium IME composition does not send; Enter after the commit sends exactly once', async () => {
  const { page, sent } = await openRecording('ime-user');
  const box = messageBox(page);
  await box.fill('안녕 ');
  await box.focus();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.imeSetComposition', { text: '하', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.imeSetComposition', { text: '한', selectionStart: 1, selectionEnd: 1 });
  // Enter while composing (isComposing is true) …
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13 });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13 });
  // … and the IME's own "process" key (keyCode 229) for Enter.
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 229 });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 229 });
  await cdp.send('Input.insertText', { text: '한글' });
  expect(await page.locator('li.msg').count()).toBe(0);
  expect((await box.inputValue()).replace(/\n/g, '')).toBe('안녕 한글');

  // Normalize the line break the IME-time Enter may have typed, then send with a real Enter.
  await box.fill('안녕 한글');
  await box.press('Enter');
  await waitForAnswer(page);
  const frames = sendFrames(sent);
  expect(frames).toHaveLength(1);
  expect(frames[0].text).toBe('안녕 한글');
  expect(await page.locator('li.msg.user').count()).toBe(1);
  await page.context().close();
});

test("Safari's compositionend-before-keydown order does not send; Shift+Enter makes a new line", async () => {
  const { page, sent } = await openRecording('safari-user');
  const box = messageBox(page);
  await box.fill('가나다');
  // Safari: compositionend first, then the committing Enter with isComposing false and keyCode 229;
  // and a browser that also drops the 229 (only the event order tells).
  const defaultsPrevented = await box.evaluate((el: HTMLTextAreaElement) => {
    const results: boolean[] = [];
    for (const keyCode of [229, 13]) {
      el.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
      el.dispatchEvent(new CompositionEvent('compositionend', { data: '다' }));
      const enter = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', isComposing: false, bubbles: true, cancelable: true });
      Object.defineProperty(enter, 'keyCode', { value: keyCode });
      el.dispatchEvent(enter);
      results.push(enter.defaultPrevented);
    }
    return results;
  });
  expect(defaultsPrevented).toEqual([false, false]);
  await box.press('Shift+Enter');
  await box.pressSequentially('라');
  expect(await box.inputValue()).toBe('가나다\n라');
  expect(await page.locator('li.msg').count()).toBe(0);
  await box.press('Enter');
  await waitForAnswer(page);
  const frames = sendFrames(sent);
  expect(frames.map((f) => f.text)).toEqual(['가나다\n라']);
  await page.context().close();
});

/** Bytes of the envelope of a new conversation's single frame (32-hex messageId, no conversationId). */
function envelopeBytes(): number {
  return Buffer.byteLength(JSON.stringify({ action: 'sendMessage', messageId: 'x'.repeat(32), text: '' }));
}

test('a frame of exactly 32 KiB goes out whole; one byte more is split into parts that the server accepts once', async () => {
  const { page, sent } = await openRecording('big-sender');
  const room = 32 * 1024 - envelopeBytes();
  const exact = '가'.repeat(Math.floor(room / 3)) + 'a'.repeat(room % 3);
  expect(Buffer.byteLength(exact) + envelopeBytes()).toBe(32 * 1024);

  await messageBox(page).fill(exact);
  await messageBox(page).press('Enter');
  await waitForAnswer(page);
  let frames = sendFrames(sent);
  expect(frames).toHaveLength(1);
  expect(Buffer.byteLength(sent.find((s) => s.includes('sendMessage'))!)).toBe(32 * 1024);

  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  sent.length = 0;
  await messageBox(page).fill(exact + 'b');
  await messageBox(page).press('Enter');
  const answer = await waitForAnswer(page);
  frames = sendFrames(sent);
  expect(frames.length).toBeGreaterThanOrEqual(2);
  expect(new Set(frames.map((f) => f.messageId)).size).toBe(1);
  expect(frames.map((f) => f.part)).toEqual(frames.map((_, index) => ({ index, count: frames.length })));
  // Compared as booleans and lengths: a failure must not print 40 KB of Hangul.
  expect(frames.map((f) => f.text).join('') === exact + 'b').toBe(true);
  for (const raw of sent) expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(32 * 1024);
  expect(await answer.getAttribute('data-status')).toBe('end_turn');

  // Stored once, whole.
  await page.reload();
  await page.locator('li.msg.assistant.finished').waitFor();
  expect(await page.locator('li.msg.user').count()).toBe(1);
  const stored = await page.locator('li.msg.user .bubble').evaluate((el) => el.textContent ?? '');
  expect(stored.length).toBe(exact.length + 1);
  expect(stored === exact + 'b').toBe(true);
  await page.context().close();
});

test('the character limit is shown before sending: 16,000 Hangul characters send, 16,001 are refused in the page', async () => {
  const { page, sent } = await openRecording('limit-user');
  const box = messageBox(page);
  const send = page.getByRole('button', { name: /send|보내기|전송/i });
  const counter = page.locator('#char-count');

  await box.fill('한'.repeat(16_001));
  expect(await counter.innerText()).toMatch(/16,001 \/ 16,000 characters.*Too long by 1 character/);
  expect(await send.isDisabled()).toBe(true);
  expect(await box.getAttribute('aria-invalid')).toBe('true');
  await box.press('Enter');
  expect((await box.inputValue()).length).toBe(16_001);

  // An emoji is one character (two UTF-16 units): 15,999 Hangul + 1 emoji is exactly at the limit.
  await box.fill(`${'한'.repeat(15_999)}😀`);
  expect(await counter.innerText()).toMatch(/^16,000 \/ 16,000 characters$/);
  expect(await send.isDisabled()).toBe(false);

  await box.fill('한'.repeat(16_000));
  expect(await box.getAttribute('aria-invalid')).toBe('false');
  await send.click();
  const answer = await waitForAnswer(page);
  expect(await answer.getAttribute('data-status')).toBe('end_turn');
  expect(sendFrames(sent).length).toBeGreaterThanOrEqual(2);
  expect(await box.inputValue()).toBe('');
  await page.context().close();
});

test('Escape that cancels an IME composition does not stop the answer being written', async () => {
  const slow = await startStack(['--offline-cps', '60']);
  try {
    const { page } = await openApp(env.browser, 'about:blank');
    const sent: string[] = [];
    page.on('websocket', (ws: PwWebSocket) => ws.on('framesent', (f) => sent.push(String(f.payload))));
    await page.goto(slow.url);
    await signIn(page, 'ime-escape');
    await messageBox(page).fill('긴 답을 주세요');
    await messageBox(page).press('Enter');
    await page.locator('li.msg.assistant .markdown', { hasText: '[offline model]' }).waitFor();
    // Start typing the next message in Korean while the answer streams, then cancel it with Escape.
    await messageBox(page).focus();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: '다', selectionStart: 1, selectionEnd: 1 });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Escape', code: 'Escape', windowsVirtualKeyCode: 229 });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Escape', code: 'Escape', windowsVirtualKeyCode: 229 });
    const answer = await waitForAnswer(page);
    expect(sent.map((f) => JSON.parse(f).action).filter((a) => a === 'stop')).toEqual([]);
    expect(await answer.getAttribute('data-status')).toBe('end_turn');
    await page.context().close();
  } finally {
    await slow.stop();
  }
});
