/**
 * Conversations in real Chromium against the local stack: the sidebar lists them newest first
 * and pages, generated titles appear live, switching shows each one's messages, rename and delete
 * (with confirm) reach the server, and older messages page in when the list is scrolled up.
 */
import type { Page } from 'playwright-core';
import { openApp, send, signIn, waitForAnswer } from './lib/browser';
import { useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser();

/** Opens the app with a page size of 2 so that paging shows with a few items. */
async function openSmallPages(user: string, viewport = { width: 1200, height: 800 }): Promise<Page> {
  const { context, page } = await openApp(env.browser, 'about:blank', { viewport });
  await context.addInitScript(() => localStorage.setItem('chatbot.pageSize', '2'));
  await page.goto(env.stack.url);
  await signIn(page, user);
  return page;
}

async function newConversation(page: Page, text: string): Promise<string> {
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await send(page, text);
  await waitForAnswer(page);
  await page.waitForURL(/#\/c\//);
  return /#\/c\/(.+)$/.exec(page.url())![1];
}

function sidebarTitles(page: Page): Promise<string[]> {
  return page.locator('.conv-link').allInnerTexts();
}

test('the sidebar lists conversations newest first, pages, and shows generated titles live', async () => {
  const page = await openSmallPages('pager');
  const first = await newConversation(page, 'first topic apples');
  // The generated title replaces "New chat" without a reload.
  await page.locator(`.conv-link[data-id="${first}"]`).filter({ hasNotText: /^New chat$/ }).waitFor();
  expect(await page.locator('#chat-title').innerText()).toBe(await page.locator(`.conv-link[data-id="${first}"]`).innerText());
  const second = await newConversation(page, 'second topic bananas');
  const third = await newConversation(page, 'third topic cherries');
  expect(await page.locator('.conv-link').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.id))).toEqual([third, second, first]);

  const requests: URL[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/conversations') requests.push(u);
  });
  await page.reload();
  // The end of the first page is in view, so the next page loads (the button does the same by keyboard).
  await page.locator('.conv-link').nth(2).waitFor();
  expect(await page.locator('.conv-link').evaluateAll((as) => as.map((a) => (a as HTMLElement).dataset.id))).toEqual([third, second, first]);
  expect(requests.map((u) => [u.searchParams.get('limit'), u.searchParams.has('cursor')])).toEqual([['2', false], ['2', true]]);
  const more = page.getByRole('button', { name: /load more/i });
  expect(await more.isHidden()).toBe(true);
  await page.context().close();
});

test('switch between two conversations, rename one and delete the other after confirming', async () => {
  const page = await openSmallPages('switcher');
  const a = await newConversation(page, 'conversation A about rivers');
  const b = await newConversation(page, 'conversation B about mountains');

  await page.locator(`.conv-link[data-id="${a}"]`).click();
  await page.locator('li.msg.user', { hasText: 'conversation A about rivers' }).waitFor();
  expect(await page.locator('li.msg.user').allInnerTexts()).toEqual([expect.stringContaining('rivers')]);
  expect(await page.locator(`.conv-link[data-id="${a}"]`).getAttribute('aria-current')).toBe('page');
  await page.locator(`.conv-link[data-id="${b}"]`).click();
  await page.locator('li.msg.user', { hasText: 'mountains' }).waitFor();
  expect(await page.locator('li.msg.user').allInnerTexts()).toEqual([expect.stringContaining('mountains')]);

  // Rename A through the dialog; the new title is stored.
  await page.locator(`li.conv[data-id="${a}"]`).getByRole('button', { name: /rename/i }).click();
  const renameBox = page.getByRole('dialog').getByRole('textbox', { name: /title/i });
  await renameBox.fill('강 이야기 (renamed)');
  await renameBox.press('Enter');
  await page.locator(`.conv-link[data-id="${a}"]`, { hasText: '강 이야기 (renamed)' }).waitFor();

  // Delete B: cancelling keeps it, confirming removes it (and leaves the open conversation).
  const deleteB = page.locator(`li.conv[data-id="${b}"]`).getByRole('button', { name: /delete/i });
  await deleteB.click();
  await page.getByRole('dialog').getByRole('button', { name: /cancel/i }).click();
  expect(await page.locator(`.conv-link[data-id="${b}"]`).count()).toBe(1);
  await deleteB.click();
  await page.getByRole('dialog').getByRole('button', { name: /^delete$/i }).click();
  await page.locator(`.conv-link[data-id="${b}"]`).waitFor({ state: 'detached' });
  await page.waitForURL((u) => !u.hash.includes(b));

  await page.reload();
  await page.locator('.conv-link').first().waitFor();
  expect(await sidebarTitles(page)).toEqual(['강 이야기 (renamed)']);
  // The deleted conversation is gone on the server too.
  await page.goto(`${env.stack.url}/#/c/${b}`);
  await page.locator('#toast', { hasText: /does not exist/i }).waitFor();
  expect(await page.locator('li.msg').count()).toBe(0);
  await page.context().close();
});

test('scrolling to the top of a long conversation pages in older messages, in order', async () => {
  const page = await openSmallPages('scroller', { width: 820, height: 360 });
  // Long enough that one page (a question and its answer) fills the view.
  const filler = ' and some more words to make this question long'.repeat(6);
  await newConversation(page, `oldest question one${filler}`);
  await send(page, `newer question two${filler}`);
  await waitForAnswer(page);
  await page.reload();
  await page.locator('li.msg.assistant.finished').first().waitFor();
  // One page (2 messages) is shown, scrolled to its end, so the older page is not needed yet.
  expect(await page.locator('li.msg').count()).toBe(2);
  expect(await page.locator('#messages').evaluate((el) => el.scrollTop > 0)).toBe(true);
  await page.locator('#messages').evaluate((el) => {
    el.scrollTop = 0;
  });
  await page.locator('li.msg').nth(3).waitFor();
  expect(await page.locator('li.msg.user').allInnerTexts()).toEqual([
    expect.stringContaining('oldest question one'),
    expect.stringContaining('newer question two'),
  ]);
  const roles = await page.locator('li.msg').evaluateAll((els) => els.map((e) => (e.classList.contains('user') ? 'user' : 'assistant')));
  expect(roles).toEqual(['user', 'assistant', 'user', 'assistant']);
  await page.context().close();
});
