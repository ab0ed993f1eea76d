/**
 * How the page looks and is worked, in real Chromium: SVG icons instead of text glyphs, the
 * settings menu (language, theme) by keyboard, the empty state's suggested prompts, the
 * jump-to-latest button, and the sidebar grouped by date in the person's local time.
 * Screenshots go to test-output/.
 */
import { lastAnswer, messageBox, openApp, screenshot, send, signIn, waitForAnswer } from './lib/browser';
import { useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser(['--offline-cps', '120']);

const GLYPHS = /[✎✕☰＋✓×]/;

test('a conversation list that loads late does not take the focus from the settings menu opened meanwhile', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  let reached!: () => void;
  const arrived = new Promise<void>((r) => { reached = r; });
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  await page.route((url) => url.pathname.endsWith('/conversations'), async (route) => {
    reached();
    await held;
    await route.continue();
  });
  await signIn(page, 'late-list');
  await arrived;
  await page.getByRole('button', { name: 'Settings' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menu').waitFor();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('role'));
  expect(await focused()).toBe('menuitemradio');
  release();
  // The list has rendered (this user has none), so the start that awaited it has ended.
  await page.locator('#no-conversations').waitFor();
  expect(await focused()).toBe('menuitemradio');
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'hidden' });
  await context.close();
});

test('icons are SVG (no text glyphs); the settings menu sets theme and language by keyboard and remembers them', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  await signIn(page, 'settings');
  expect(await page.locator('body').innerText()).not.toMatch(GLYPHS);
  for (const name of ['New chat', 'Settings', 'Sign out']) {
    expect(await page.getByRole('button', { name, exact: true }).locator('svg').count()).toBe(1);
  }
  // No plain browser selects.
  expect(await page.locator('select').count()).toBe(0);

  const button = page.getByRole('button', { name: 'Settings' });
  expect(await button.getAttribute('aria-haspopup')).toBe('menu');
  await button.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menu').waitFor();
  expect(await button.getAttribute('aria-expanded')).toBe('true');
  // Focus starts on the checked item; Escape closes back to the button.
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-checked'))).toBe('true');
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'hidden' });
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('settings-button');

  await page.keyboard.press('ArrowDown');
  await page.getByRole('menu').waitFor();
  await screenshot(page, 'settings-menu.png');
  await page.getByRole('menuitemradio', { name: 'Dark' }).focus();
  await page.keyboard.press('Enter');
  expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe('rgb(255, 255, 255)');
  await page.reload();
  await messageBox(page).waitFor();
  expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
  await button.click();
  expect(await page.getByRole('menuitemradio', { name: 'Dark' }).getAttribute('aria-checked')).toBe('true');
  expect(await page.getByRole('menuitemradio', { name: 'Light' }).getAttribute('aria-checked')).toBe('false');
  await page.getByRole('menuitemradio', { name: 'System' }).click();
  expect(await page.locator('html').getAttribute('data-theme')).toBeNull();
  await context.close();
});

test('the empty state offers suggested prompts (ko and en) that send themselves; screenshots light, dark and phone', async () => {
  for (const [locale, colorScheme, first] of [['en-US', 'light', 'Explain how WebSockets'], ['ko-KR', 'dark', 'WebSocket과 HTTP 폴링']] as const) {
    const { context, page } = await openApp(env.browser, env.stack.url, { locale, colorScheme });
    await signIn(page, `empty-${colorScheme}`);
    const suggestions = page.locator('#empty-chat').getByRole('button');
    expect(await suggestions.count()).toBe(4);
    expect(await suggestions.first().innerText()).toContain(first);
    await screenshot(page, `empty-${colorScheme}.png`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#sidebar').waitFor({ state: 'hidden' });
    await screenshot(page, `empty-${colorScheme}-phone.png`);
    const prompt = await suggestions.nth(3).innerText();
    await suggestions.nth(3).focus();
    await page.keyboard.press('Enter');
    await page.locator('li.msg.user', { hasText: prompt }).waitFor();
    const answer = await waitForAnswer(page);
    expect(await answer.locator('.markdown').innerText()).toContain(prompt);
    expect(await page.locator('#empty-chat').isHidden()).toBe(true);
    expect(await messageBox(page).inputValue()).toBe('');
    await context.close();
  }
});

test('scrolled up while an answer streams, a jump-to-latest button appears; it goes to the end and hides', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { viewport: { width: 390, height: 600 } });
  await signIn(page, 'jumper');
  const jump = page.getByRole('button', { name: 'Jump to latest' });
  // A question long enough that the list scrolls.
  await send(page, Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n'));
  await lastAnswer(page).locator('.markdown', { hasText: '[offline model]' }).waitFor();
  expect(await jump.isHidden()).toBe(true);
  await page.locator('#messages').evaluate((el) => el.scrollTo({ top: 0 }));
  await jump.waitFor();
  await screenshot(page, 'jump-latest-phone.png');
  await jump.click();
  await jump.waitFor({ state: 'hidden' });
  const gap = await page.locator('#messages').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  expect(gap).toBeLessThan(80);
  await waitForAnswer(page);
  // …and after the answer is over, too.
  await page.locator('#messages').evaluate((el) => el.scrollTo({ top: 0 }));
  await jump.waitFor();
  await context.close();
});

test('the sidebar groups conversations Today / Yesterday / Previous 7 days / Older by updatedAt in local time', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { timezoneId: 'Asia/Seoul', locale: 'en-US' });
  await signIn(page, 'grouper');
  const ids: string[] = [];
  for (const topic of ['old topic', 'last week topic', 'yesterday topic', 'today topic']) {
    await page.getByRole('button', { name: 'New chat', exact: true }).click();
    await send(page, topic);
    await waitForAnswer(page);
    ids.push(/#\/c\/(.+)$/.exec(page.url())![1]);
  }
  // The stored conversations are all from now: age them in the list the page reads, as if they
  // had last been used 30 days, 3 days and 1 day ago (Asia/Seoul has no DST, so 24 h is a day).
  const hour = 3600_000;
  const age: Record<string, number> = { [ids[0]]: 30 * 24 * hour, [ids[1]]: 3 * 24 * hour, [ids[2]]: 24 * hour, [ids[3]]: 0 };
  await page.route(/\/api\/conversations(\?|$)/, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    for (const c of body.items) c.updatedAt = new Date(Date.parse(c.updatedAt) - (age[c.conversationId] ?? 0)).toISOString();
    await route.fulfill({ response: res, json: body });
  });
  await page.reload();
  await page.locator('.conv-link').nth(3).waitFor();
  const groups = await page.locator('.conv-group:visible').evaluateAll((els) => els.map((g) => ({
    title: g.querySelector('h3')!.textContent,
    ids: Array.from(g.querySelectorAll('li.conv'), (li) => (li as HTMLElement).dataset.id),
  })));
  expect(groups).toEqual([
    { title: 'Today', ids: [ids[3]] },
    { title: 'Yesterday', ids: [ids[2]] },
    { title: 'Previous 7 days', ids: [ids[1]] },
    { title: 'Older', ids: [ids[0]] },
  ]);
  await screenshot(page, 'sidebar-groups.png');
  // An answer in an older conversation moves it to Today.
  await page.locator(`.conv-link[data-id="${ids[0]}"]`).click();
  await page.locator('li.msg.assistant.finished').waitFor();
  await send(page, 'back to the old topic');
  await page.locator('li.msg.assistant.finished').nth(1).waitFor();
  await page.locator(`.conv-group[data-group="today"] li.conv[data-id="${ids[0]}"]`).waitFor();
  expect(await page.locator('.conv-group[data-group="older"]').isHidden()).toBe(true);
  // Headings follow the language.
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('menuitemradio', { name: '한국어' }).click();
  // The table of the other language is fetched first: wait until the page has switched.
  await page.locator('html[lang="ko"]').waitFor({ state: 'attached' });
  expect(await page.locator('.conv-group:visible h3').allInnerTexts()).toEqual(['오늘', '어제', '지난 7일']);
  // The phone drawer, in dark mode.
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#sidebar').waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: '대화 목록 메뉴' }).click();
  await page.locator('#sidebar').waitFor({ state: 'visible' });
  await screenshot(page, 'sidebar-groups-phone-dark.png');
  await context.close();
});

test('a language switch re-translates code-block Copy buttons (also while "Copied" shows) and the toast', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { permissions: ['clipboard-read', 'clipboard-write'] });
  await signIn(page, 'retranslate');
  // The offline model quotes this back, so its quote has two code blocks.
  await send(page, 'Two blocks:\n\n```js\nlet a = 1;\n```\n\n```py\nb = 2\n```');
  const answer = await waitForAnswer(page);
  const buttons = answer.locator('blockquote .code-block .copy-code');
  expect(await buttons.allInnerTexts()).toEqual(['Copy', 'Copy']);
  await buttons.first().click();
  await answer.locator('.copy-code', { hasText: 'Copied' }).waitFor();
  const setLanguage = async (name: string) => {
    await page.getByRole('button', { name: /^(Settings|설정)$/ }).click();
    await page.getByRole('menuitemradio', { name }).click();
    // The other language's table loads first: read the buttons once the page has switched.
    await page.locator(`html[lang="${name === '한국어' ? 'ko' : 'en'}"]`).waitFor({ state: 'attached' });
  };
  await setLanguage('한국어');
  expect(await buttons.allInnerTexts()).toEqual(['복사됨', '복사']);
  // When "Copied" passes, the label comes back in the language now in use.
  await answer.locator('.copy-code', { hasText: '복사됨' }).waitFor({ state: 'detached' });
  expect(await buttons.allInnerTexts()).toEqual(['복사', '복사']);

  // A toast shown in Korean follows a switch back to English.
  await page.goto(`${env.stack.url}/#/c/${'0'.repeat(26)}`);
  await page.locator('#toast:visible', { hasText: '대화가 존재하지 않습니다.' }).waitFor();
  await setLanguage('English');
  expect(await page.locator('#toast').innerText()).toBe('That conversation does not exist (any more).');
  await context.close();
});
