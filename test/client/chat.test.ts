/**
 * The main path in real headless Chromium against the real local stack: sign in, a Korean
 * message streams in as rendered Markdown and completes with token usage, the history survives a
 * reload, stop keeps what was written, the UI speaks Korean or English, and screenshots of the
 * main screen (light and dark) land in test-output/.
 */
import { lastAnswer, messageBox, openApp, screenshot, send, signIn, waitForAnswer } from './lib/browser';
import { startStack, useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser();

test('a Korean message streams in, completes with token usage, and is still there after a reload', async () => {
  const { context, page, errors } = await openApp(env.browser, env.stack.url, { locale: 'ko-KR' });
  await signIn(page, 'minji');
  await send(page, '안녕하세요, 스트리밍 테스트입니다');

  await page.locator('li.msg.user', { hasText: '안녕하세요, 스트리밍 테스트입니다' }).waitFor();
  // Seen while streaming: text arrived but the answer is not finished yet.
  await lastAnswer(page).locator('.markdown', { hasText: '[offline model]' }).waitFor();
  const finishedWhileStreaming = await lastAnswer(page).evaluate((el) => el.classList.contains('finished'));
  expect(finishedWhileStreaming).toBe(false);

  const answer = await waitForAnswer(page);
  await expect(answer.locator('.markdown').innerText()).resolves.toContain('안녕하세요, 스트리밍 테스트입니다');
  await expect(answer.locator('.usage').innerText()).resolves.toMatch(/토큰: 입력 \d+ · 출력 \d+/);
  expect(await page.locator('#model-name').innerText()).toBe('오프라인 데모');
  expect(await answer.locator('.model-name').innerText()).toBe('오프라인 데모');
  const url = page.url();
  expect(url).toMatch(/#\/c\/[A-Za-z0-9_-]{8,64}$/);

  await page.reload();
  await page.locator('li.msg.assistant.finished').waitFor();
  expect(await page.locator('li.msg.user').allInnerTexts()).toEqual([expect.stringContaining('안녕하세요, 스트리밍 테스트입니다')]);
  expect(await page.locator('li.msg.assistant .markdown').innerText()).toContain('[offline model] context: 0 messages');
  expect(await page.locator('.conv-link').count()).toBe(1);
  expect(errors).toEqual([]);
  await context.close();
});

test('stop mid-answer keeps what was written and marks the answer stopped', async () => {
  const slow = await startStack(['--offline-cps', '20']);
  try {
    const { context, page } = await openApp(env.browser, slow.url);
    await signIn(page, 'stopper');
    await send(page, 'please write slowly');
    const stop = page.getByRole('button', { name: /stop|중지/i });
    await stop.waitFor();
    await lastAnswer(page).locator('.markdown', { hasText: '[offline model]' }).waitFor();
    await stop.click();
    const answer = await waitForAnswer(page);
    expect(await answer.getAttribute('data-status')).toBe('stopped');
    expect(await answer.locator('.note').innerText()).toMatch(/stopped/i);
    expect(await stop.isHidden()).toBe(true);
    const shown = await answer.locator('.markdown').innerText();
    // What was written stays, and it is what the server stored.
    await page.reload();
    await page.locator('li.msg.assistant.finished').waitFor();
    expect(await page.locator('li.msg.assistant .markdown').innerText()).toBe(shown);
    expect(shown.length).toBeLessThan(300);
    await context.close();
  } finally {
    await slow.stop();
  }
});

test('the UI follows the browser language and can be switched between Korean and English', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { locale: 'ko-KR' });
  await page.getByRole('button', { name: '로그인' }).waitFor();
  await signIn(page, 'bilingual');
  await expect(page.getByRole('button', { name: '보내기' }).count()).resolves.toBe(1);
  expect(await page.getByRole('textbox', { name: '메시지' }).count()).toBe(1);
  expect(await page.locator('html').getAttribute('lang')).toBe('ko');

  await page.getByRole('button', { name: '설정' }).click();
  await page.getByRole('menuitemradio', { name: 'English' }).click();
  // The table of the other language is fetched first: wait until the page has switched.
  await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
  await expect(page.getByRole('button', { name: 'Send' }).count()).resolves.toBe(1);
  expect(await page.getByRole('textbox', { name: 'Message' }).count()).toBe(1);
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  // The choice is remembered over the browser's language.
  await page.reload();
  await page.getByRole('button', { name: 'New chat', exact: true }).waitFor();
  expect(await page.getByRole('button', { name: '새 대화' }).count()).toBe(0);
  await context.close();

  const english = await openApp(env.browser, env.stack.url, { locale: 'en-GB' });
  await english.page.getByRole('button', { name: 'Sign in' }).waitFor();
  expect(await english.page.locator('html').getAttribute('lang')).toBe('en');
  await english.context.close();
});

test('the main screen renders in light and dark (screenshots in test-output/)', async () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    const { context, page } = await openApp(env.browser, env.stack.url, { locale: 'ko-KR', colorScheme });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(page, `shot-${colorScheme}`);
    await send(page, '코드 예시와 목록을 보여 주세요: `npm test` 와 **굵게**\n\n```ts\nconst answer: number = 42;\n```');
    const answer = await waitForAnswer(page);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    if (colorScheme === 'dark') expect(bg).not.toBe('rgb(255, 255, 255)');
    else expect(bg).toBe('rgb(255, 255, 255)');
    await screenshot(page, `main-${colorScheme}.png`);
    // The quoted code block is highlighted and its copy button copies exactly the code.
    const block = answer.locator('.code-block').first();
    expect(await block.locator('.hljs-keyword').first().innerText()).toBe('const');
    await block.getByRole('button', { name: '복사' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('const answer: number = 42;\n');
    await block.getByRole('button', { name: '복사됨' }).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    // At phone width the sidebar is a drawer behind the menu button.
    await page.locator('#sidebar').waitFor({ state: 'hidden' });
    await screenshot(page, `main-${colorScheme}-phone.png`);
    await page.getByRole('button', { name: /대화 목록 메뉴/ }).click();
    await page.locator('#sidebar').waitFor({ state: 'visible' });
    await expect(messageBox(page).count()).resolves.toBe(1);
    await context.close();
  }
});

test('keyboard only: send, stop with Escape, new chat with Ctrl+Shift+O, rename dialog with Enter/Escape', async () => {
  const slow = await startStack(['--offline-cps', '20']);
  try {
    const { context, page } = await openApp(env.browser, slow.url);
    // The sign-in form takes the focus itself.
    await page.getByRole('textbox', { name: /user/i }).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'username');
    await page.keyboard.type('keyboarder');
    await page.keyboard.press('Enter');
    await messageBox(page).waitFor();
    // Focus lands in the message box.
    await page.waitForFunction(() => document.activeElement?.id === 'message-input');
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await lastAnswer(page).locator('.markdown', { hasText: '[offline model]' }).waitFor();
    await page.keyboard.press('Escape');
    const answer = await waitForAnswer(page);
    expect(await answer.getAttribute('data-status')).toBe('stopped');

    const first = /#\/c\/(.+)$/.exec(page.url())![1];
    await page.keyboard.press('Control+Shift+O');
    await page.waitForURL((u) => !u.hash.includes(first));
    await page.locator('li.msg').first().waitFor({ state: 'detached' });
    expect(await page.locator('#chat-title').innerText()).toBe('New chat');

    // Tab to the conversation's rename button, open the dialog, close it with Escape, reopen, save with Enter.
    const rename = page.locator(`li.conv[data-id="${first}"]`).getByRole('button', { name: /rename/i });
    await rename.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('renamed by keyboard');
    expect(await page.getByRole('dialog').getByRole('textbox').inputValue()).toBe('renamed by keyboard');
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.keyboard.press('Enter');
    expect((await saved).status()).toBe(200);
    // The response is seen before the client has read its body and updated the row: wait for it.
    const link = page.locator(`.conv-link[data-id="${first}"]`);
    await link.filter({ hasText: /^renamed by keyboard$/ }).waitFor({ timeout: 5000 }).catch(() => undefined);
    expect(await link.innerText()).toBe('renamed by keyboard');
    await context.close();
  } finally {
    await slow.stop();
  }
});

test('sign-in: a user name of 128 UTF-8 bytes signs in; 129 bytes is refused with the reason and nothing else changes', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  const box = page.getByRole('textbox', { name: /user|사용자/i });
  const tooLong = `${'가'.repeat(42)}ab${'c'}`; // 126 + 3 bytes
  expect(Buffer.byteLength(tooLong)).toBe(129);
  await box.fill(tooLong);
  await box.press('Enter');
  await page.getByRole('alert').filter({ hasText: /Sign-in failed.*128 bytes/ }).waitFor();
  expect(await page.locator('#app').isHidden()).toBe(true);

  const atLimit = `${'가'.repeat(42)}ab`;
  expect(Buffer.byteLength(atLimit)).toBe(128);
  await box.fill(atLimit);
  await box.press('Enter');
  await messageBox(page).waitFor();
  expect(await page.locator('#user-name').innerText()).toBe(atLimit);

  // Every visible control has an accessible name.
  const unnamed = await page.locator('button:visible, select:visible, textarea:visible, input:visible').evaluateAll((els) => els
    .filter((e) => !(e.getAttribute('aria-label') || e.textContent?.trim() || e.closest('label')
      || (e.id && document.querySelector(`label[for="${e.id}"]`))))
    .map((e) => e.outerHTML.slice(0, 80)));
  expect(unnamed).toEqual([]);

  // Sign-out forgets the session: the form is back, also after a reload.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await box.waitFor();
  await page.reload();
  await box.waitFor();
  expect(await page.locator('#app').isHidden()).toBe(true);
  await context.close();
});
