/**
 * Title search in real Chromium against the local stack: the labelled search box at the top of
 * the sidebar finds a conversation by a Hangul substring of its title, shows the results in place
 * of the date groups, says when nothing matches, Escape clears it; at phone width in the drawer.
 * Another user's titles are never found.
 */
import type { Page } from 'playwright-core';
import { openApp, send, signIn, waitForAnswer } from './lib/browser';
import { useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser();

async function newConversation(page: Page, text: string, title: string): Promise<string> {
  await page.locator('#new-chat').click();
  await send(page, text);
  await waitForAnswer(page);
  await page.waitForURL(/#\/c\//);
  const id = /#\/c\/(.+)$/.exec(page.url())![1];
  // A known title: the rename wins over the generated one.
  await page.locator(`li.conv[data-id="${id}"]`).getByRole('button', { name: /rename/i }).click();
  const box = page.getByRole('dialog').getByRole('textbox', { name: /title/i });
  await box.fill(title);
  await box.press('Enter');
  await page.locator(`#conversation-list .conv-link[data-id="${id}"]`, { hasText: title }).waitFor();
  return id;
}

const searchBox = (page: Page) => page.getByRole('searchbox', { name: 'Search conversations' });
const results = (page: Page) => page.locator('#search-results .conv-link');

test('typing a query shows the matching conversation in place of the groups; no results; Escape clears; phone width', async () => {
  const { context, page, errors } = await openApp(env.browser, env.stack.url);
  await signIn(page, 'searcher');
  const busan = await newConversation(page, 'Plan a three-day trip to Busan', '부산 여행 계획');
  await newConversation(page, 'Explain regex lookbehind', 'Regex notes');

  // Keyboard reachable: Tab from "New chat" lands in the search box.
  await page.locator('#new-chat').focus();
  await page.keyboard.press('Tab');
  expect(await searchBox(page).evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.type('여행');
  await results(page).first().waitFor();
  expect(await results(page).allInnerTexts()).toEqual(['부산 여행 계획']);
  expect(await results(page).first().getAttribute('href')).toBe(`#/c/${busan}`);
  expect(await page.locator('#conversation-list').isVisible()).toBe(false);

  // Case-insensitive.
  await searchBox(page).fill('REGEX');
  await results(page).filter({ hasText: 'Regex notes' }).waitFor();
  expect(await results(page).allInnerTexts()).toEqual(['Regex notes']);

  await searchBox(page).fill('없는 제목');
  await page.locator('#no-results').waitFor();
  expect(await page.locator('#no-results').innerText()).toBe('No conversation titles match.');
  expect(await results(page).count()).toBe(0);

  // Escape clears the box and brings the groups back.
  await searchBox(page).press('Escape');
  expect(await searchBox(page).inputValue()).toBe('');
  await page.locator('#conversation-list').waitFor();
  expect(await page.locator('#conversation-list .conv-link').count()).toBe(2);
  expect(await page.locator('#conv-found').isHidden()).toBe(true);

  // A result opens its conversation.
  await searchBox(page).fill('부산');
  await results(page).first().click();
  await page.locator('li.msg.user', { hasText: 'Busan' }).waitFor();
  expect(page.url()).toContain(`#/c/${busan}`);

  // Phone width: the box is in the drawer, fits it, and finds the conversation there.
  // Reduced motion: the drawer opens without its slide, so it is measured where it stays.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.setViewportSize({ width: 375, height: 740 });
  await page.locator('#menu').click();
  await searchBox(page).waitFor();
  const box = (await searchBox(page).boundingBox())!;
  const drawer = (await page.locator('#sidebar').boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(drawer.x);
  expect(box.x + box.width).toBeLessThanOrEqual(drawer.x + drawer.width);
  await searchBox(page).fill('notes');
  await results(page).filter({ hasText: 'Regex notes' }).waitFor();
  expect(await results(page).allInnerTexts()).toEqual(['Regex notes']);
  expect(await results(page).first().isVisible()).toBe(true);
  expect(errors).toEqual([]);
  await context.close();
});

// Runs after the test above, whose user has "부산 여행 계획".
test('another user\'s titles are never found, and the strings are Korean in Korean', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { locale: 'ko-KR' });
  await signIn(page, 'stranger');
  const box = page.getByRole('searchbox', { name: '대화 검색' });
  await box.fill('부산');
  await page.locator('#no-results').waitFor();
  expect(await page.locator('#no-results').innerText()).toBe('제목이 일치하는 대화가 없습니다.');
  expect(await results(page).count()).toBe(0);
  await context.close();
});
