/**
 * The page around the answers, in real Chromium against the real local stack: the title of a
 * conversation opened by its address, token usage (real or "not reported", the same live and
 * after a reload), Copy and Regenerate on every answer (a failed or stopped one too), and a language
 * switch that re-renders every dynamic string at once.
 */
import type { Page } from 'playwright-core';
import { lastAnswer, openApp, screenshot, send, signIn, waitForAnswer } from './lib/browser';
import { startStack, useStackAndBrowser } from './lib/stack';

// Slow enough to stop an answer after its first words.
const env = useStackAndBrowser(['--offline-cps', '60']);

/** The open conversation's id. */
function openId(page: Page): string {
  return /#\/c\/(.+)$/.exec(page.url())![1];
}

/** The stored messages of a conversation, read over the HTTP API with the page's own token. */
function stored(page: Page, conversationId: string): Promise<Array<{ messageId: string; role: string; text: string; status: string }>> {
  return page.evaluate(async (id) => {
    const { token } = JSON.parse(localStorage.getItem('chatbot.local') ?? '{}');
    const res = await fetch(`/api/conversations/${id}/messages?limit=100`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()).items;
  }, conversationId);
}

/** Sends, waits for the first words, presses Stop, and waits for the stopped answer. */
async function sendAndStop(page: Page, text: string) {
  await send(page, text);
  await lastAnswer(page).locator('.markdown', { hasText: '[offline model]' }).waitFor();
  await page.getByRole('button', { name: /^(stop|중지)$/i }).click();
  const answer = await waitForAnswer(page);
  expect(await answer.getAttribute('data-status')).toBe('stopped');
  return answer;
}

/** Waits until the sidebar shows a generated title for a conversation, and returns it. */
async function generatedTitle(page: Page, conversationId: string): Promise<string> {
  const link = page.locator(`.conv-link[data-id="${conversationId}"]`);
  await link.and(page.locator(':not(:text-is("New chat"))')).waitFor();
  return link.innerText();
}

test('reloading #/c/<id> shows the conversation\'s title in the header and the page title, also when the sidebar has not loaded it', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  await signIn(page, 'title-reload');
  await send(page, 'first topic about rivers');
  await waitForAnswer(page);
  const first = openId(page);
  const firstTitle = await generatedTitle(page, first);
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await send(page, 'second topic about mountains');
  await waitForAnswer(page);
  const second = openId(page);
  const secondTitle = await generatedTitle(page, second);
  expect(secondTitle).not.toBe(firstTitle);

  // Reloaded while the conversation list is held back until the messages are on screen, and
  // the conversation's own summary cannot be read: the title comes with the list, when it comes.
  let release!: () => void;
  const listHeld = new Promise<void>((r) => (release = r));
  await page.route(/\/api\/conversations(\?|$)/, async (route) => {
    await listHeld;
    await route.continue();
  });
  await page.route(new RegExp(`/api/conversations/${second}$`), (route) => route.fulfill({ status: 503, json: { code: 'INTERNAL', message: 'held by test' } }));
  await page.reload();
  await page.locator('li.msg.assistant.finished').waitFor();
  expect(await page.locator('.conv-link').count()).toBe(0);
  release();
  await page.locator(`.conv-link[data-id="${second}"]`).waitFor();
  await page.locator('#chat-title', { hasText: secondTitle }).waitFor({ timeout: 5000 }).catch(() => undefined);
  expect(await page.locator('#chat-title').innerText()).toBe(secondTitle);
  expect(await page.title()).toBe(`${secondTitle} · Chatbot`);
  await page.unrouteAll();

  // Opened by its address while the list never comes: the header reads the conversation itself.
  await page.route(/\/api\/conversations(\?|$)/, () => new Promise<void>(() => undefined));
  await page.goto(`${env.stack.url}/#/c/${first}`);
  await page.reload();
  await page.locator('li.msg.assistant.finished').waitFor();
  await page.locator('#chat-title', { hasText: firstTitle }).waitFor({ timeout: 5000 }).catch(() => undefined);
  expect(await page.locator('.conv-link').count()).toBe(0);
  expect(await page.locator('#chat-title').innerText()).toBe(firstTitle);
  expect(await page.title()).toBe(`${firstTitle} · Chatbot`);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await context.close();
});

test('usage: a stopped answer says "not reported" live and after a reload; a complete one shows the same counts live and after a reload', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  await signIn(page, 'usage-line');
  await send(page, 'short one');
  const complete = await waitForAnswer(page);
  const liveUsage = await complete.locator('.usage').innerText();
  expect(liveUsage).toMatch(/^Tokens: [1-9][\d,]* in · [1-9][\d,]* out$/);
  const stopped = await sendAndStop(page, 'a long one to stop');
  expect(await stopped.locator('.usage').innerText()).toBe('Tokens: not reported');

  await page.reload();
  await page.locator('li.msg.assistant.finished').nth(1).waitFor();
  const answers = page.locator('li.msg.assistant');
  expect(await answers.nth(0).locator('.usage').innerText()).toBe(liveUsage);
  expect(await answers.nth(1).getAttribute('data-status')).toBe('stopped');
  expect(await answers.nth(1).locator('.usage').innerText()).toBe('Tokens: not reported');
  await context.close();
});

test('Copy on every answer copies its Markdown source, by keyboard, with feedback; Regenerate on a stopped answer answers its question again', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const sent: Array<{ action: string; messageId: string; text: string; userMessageId?: string }> = [];
  page.on('websocket', (ws) => ws.on('framesent', (f) => {
    const frame = JSON.parse(String(f.payload));
    if (frame.action === 'sendMessage' || frame.action === 'regenerate') sent.push(frame);
  }));
  await signIn(page, 'copy-retry');
  await send(page, 'give me **markdown** and `code`');
  const complete = await waitForAnswer(page);
  // A complete answer has Copy and Regenerate.
  expect(await complete.getByRole('button', { name: 'Regenerate answer' }).count()).toBe(1);
  const copy = complete.getByRole('button', { name: 'Copy answer' });
  await copy.focus();
  await page.keyboard.press('Enter');
  await complete.locator('[aria-live]', { hasText: 'Copied' }).waitFor();
  const storedText = (await stored(page, openId(page))).find((m) => m.role === 'assistant')!.text;
  expect(storedText).toContain('**');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(storedText);

  const stopped = await sendAndStop(page, 'question to ask twice');
  await stopped.getByRole('button', { name: 'Copy answer' }).waitFor();
  const questionId = await page.locator('li.msg.user').nth(1).getAttribute('data-message-id');
  const regenerate = stopped.getByRole('button', { name: 'Regenerate answer' });
  await regenerate.focus();
  await page.keyboard.press('Enter');
  // The stopped answer is replaced by its new version, which is written to the end.
  await page.locator('li.msg.assistant .version-of', { hasText: '2 / 2' }).waitFor();
  await lastAnswer(page).and(page.locator('.finished')).waitFor({ timeout: 30_000 });
  expect(await page.locator('li.msg.user .user-text').allInnerTexts()).toEqual(['give me **markdown** and `code`', 'question to ask twice']);
  expect(await page.locator('li.msg.assistant').count()).toBe(2);
  expect(sent.map((f) => f.action)).toEqual(['sendMessage', 'sendMessage', 'regenerate']);
  expect(sent[2].userMessageId).toBe(questionId);
  expect(new Set(sent.map((f) => f.messageId)).size).toBe(3);
  expect(await lastAnswer(page).getAttribute('data-status')).toBe('end_turn');
  await context.close();
});

test('a failed answer has Regenerate (live and after a reload); a language switch re-renders every dynamic string at once', async () => {
  // An OpenAI-compatible model with nothing listening: every answer fails with MODEL_ERROR.
  const broken = await startStack(['--model', 'openai', '--openai-base-url', 'http://127.0.0.1:9/v1']);
  try {
    const { context, page } = await openApp(env.browser, broken.url);
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => {
      const frame = JSON.parse(String(f.payload));
      if (frame.action === 'sendMessage' || frame.action === 'regenerate') sent.push(`${frame.action} ${frame.messageId}`);
    }));
    await signIn(page, 'failing');
    await send(page, 'this will fail');
    const failed = await waitForAnswer(page);
    expect(await failed.getAttribute('data-status')).toBe('error');
    expect(await failed.locator('.msg-error').innerText()).toContain('The model could not answer');
    expect(await failed.locator('.usage').innerText()).toBe('Tokens: not reported');
    await page.reload();
    await page.locator('li.msg.assistant.finished').waitFor();
    const reloaded = lastAnswer(page);
    expect(await reloaded.locator('.usage').innerText()).toBe('Tokens: not reported');
    await reloaded.getByRole('button', { name: 'Regenerate answer' }).click();
    await page.locator('li.msg.assistant.finished .version-of', { hasText: '2 / 2' }).waitFor();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatch(/^regenerate /);
    expect(sent[1].split(' ')[1]).not.toBe(sent[0].split(' ')[1]);
    expect(await page.locator('li.msg.user .user-text').allInnerTexts()).toEqual(['this will fail']);

    // Switch to Korean through the settings menu, by keyboard.
    await page.getByRole('button', { name: 'Settings' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    await page.getByRole('menuitemradio', { name: '한국어' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor({ state: 'hidden' });
    // The table of the other language is fetched first: wait until the page has switched.
    await page.locator('html[lang="ko"]').waitFor({ state: 'attached' });
    const last = lastAnswer(page);
    expect(await last.locator('.msg-error').innerText()).toContain('모델이 답변하지 못했습니다');
    expect(await last.locator('.usage').innerText()).toBe('토큰: 보고되지 않음');
    expect(await last.getByRole('button', { name: '답변 다시 생성' }).count()).toBe(1);
    expect(await last.getByRole('group', { name: '버전' }).getByRole('button', { name: '이전 버전' }).count()).toBe(1);
    expect(await page.locator('li.msg.user').getByRole('button', { name: '메시지 편집' }).count()).toBe(1);
    expect(await last.getByRole('button', { name: '답변 복사' }).count()).toBe(1);
    expect(await page.locator('li.msg.user .who').first().textContent()).toBe('나');
    expect(await page.locator('#chat-title').innerText()).not.toBe('New chat');
    await context.close();
  } finally {
    await broken.stop();
  }
});

test('a language switch re-renders "Stopped." and the token counts of answers already on screen', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  await signIn(page, 'switcher');
  await send(page, 'short one');
  await waitForAnswer(page);
  const complete = page.locator('li.msg.assistant').first();
  const counts = /^Tokens: ([\d,]+) in · ([\d,]+) out$/.exec(await complete.locator('.usage').innerText())!;
  const stopped = await sendAndStop(page, 'long one');
  expect(await stopped.locator('.note').innerText()).toBe('Stopped.');
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('menuitemradio', { name: '한국어' }).click();
  // The table of the other language is fetched first: wait until the page has switched.
  await page.locator('html[lang="ko"]').waitFor({ state: 'attached' });
  expect(await stopped.locator('.note').innerText()).toBe('중지되었습니다.');
  expect(await stopped.locator('.usage').innerText()).toBe('토큰: 보고되지 않음');
  expect(await complete.locator('.usage').innerText()).toBe(`토큰: 입력 ${counts[1]} · 출력 ${counts[2]}`);
  await screenshot(page, 'answers-ko.png');
  expect(await page.locator('html').getAttribute('lang')).toBe('ko');
  await page.getByRole('button', { name: '설정' }).click();
  await page.getByRole('menuitemradio', { name: 'English' }).click();
  // The table of the other language is fetched first: wait until the page has switched.
  await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
  expect(await stopped.locator('.note').innerText()).toBe('Stopped.');
  expect(await complete.locator('.usage').innerText()).toBe(counts[0]);
  await context.close();
});
