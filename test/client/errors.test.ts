/**
 * Error frames reach the person as a clear message in their language, next to the message they
 * concern, with a retry where one can help; nothing typed is lost.
 */
import type { Page } from 'playwright-core';
import { openApp, send, signIn, waitForAnswer } from './lib/browser';
import { startStack, useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser(['--offline-cps', '100']);

/** Deletes a conversation over the HTTP API with the page's own token, as another tab would. */
function deleteFromElsewhere(page: Page, conversationId: string): Promise<number> {
  return page.evaluate(async (id) => {
    const { token } = JSON.parse(localStorage.getItem('chatbot.local') ?? '{}');
    const res = await fetch(`/api/conversations/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    return res.status;
  }, conversationId);
}

test('NOT_FOUND: sending into a conversation deleted elsewhere says so in Korean, beside the message', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { locale: 'ko-KR' });
  await signIn(page, 'deleted-elsewhere');
  await send(page, '첫 번째 질문');
  await waitForAnswer(page);
  const conversationId = /#\/c\/(.+)$/.exec(page.url())![1];
  expect(await deleteFromElsewhere(page, conversationId)).toBe(204);

  await send(page, '두 번째 질문');
  const error = page.locator('li.msg.assistant .msg-error:not([hidden])');
  await error.waitFor();
  expect(await error.innerText()).toContain('대화가 존재하지 않습니다.');
  expect(await error.getByRole('button', { name: '다시 시도' }).count()).toBe(1);
  // The message is still on screen, and the box is free for the next one.
  expect(await page.locator('li.msg.user').last().innerText()).toContain('두 번째 질문');
  expect(await page.getByRole('button', { name: /보내기/ }).isVisible()).toBe(true);
  await context.close();
});

test('BUSY: a tab sending while another tab\'s answer is being written is told to wait, and its retry then works', async () => {
  const slow = await startStack(['--offline-cps', '40']);
  try {
    const { context, page } = await openApp(env.browser, slow.url);
    await signIn(page, 'two-tabs');
    await send(page, 'opening question');
    await waitForAnswer(page);
    const conversationId = /#\/c\/(.+)$/.exec(page.url())![1];
    const other = await context.newPage();
    await other.goto(`${slow.url}/#/c/${conversationId}`);
    await other.locator('li.msg.assistant.finished').waitFor();
    await other.locator('#connection[data-state="online"]').waitFor();

    await send(page, 'first tab asks something long');
    await page.locator('li.msg.assistant:not(.finished) .markdown', { hasText: '[offline model]' }).waitFor();
    await send(other, 'second tab interrupts');
    const error = other.locator('li.msg.assistant .msg-error:not([hidden])');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/still being written/);

    // Once the first tab's answer is over (stopped here, to be quick), the retry goes through.
    await page.getByRole('button', { name: /stop/i }).click();
    await waitForAnswer(page);
    await error.getByRole('button', { name: /retry/i }).click();
    const answer = await waitForAnswer(other);
    expect(await answer.locator('.markdown').innerText()).toContain('second tab interrupts');
    await other.reload();
    await other.locator('li.msg.assistant.finished').nth(2).waitFor();
    expect(await other.locator('li.msg.user').allInnerTexts()).toEqual([
      expect.stringContaining('opening question'),
      expect.stringContaining('first tab asks something long'),
      expect.stringContaining('second tab interrupts'),
    ]);
    await context.close();
  } finally {
    await slow.stop();
  }
});

test('an answer being written is followed over HTTP in another tab, which can stop it', async () => {
  const slow = await startStack(['--offline-cps', '15']);
  try {
    const { context, page } = await openApp(env.browser, slow.url);
    await signIn(page, 'follower');
    await send(page, 'long answer please');
    await page.locator('li.msg.assistant .markdown', { hasText: '[offline model]' }).waitFor();
    const conversationId = /#\/c\/(.+)$/.exec(page.url())![1];

    const other = await context.newPage();
    await other.goto(`${slow.url}/#/c/${conversationId}`);
    const stop = other.getByRole('button', { name: /stop/i });
    await stop.waitFor();
    expect(await other.getByRole('button', { name: /send/i }).isVisible()).toBe(false);
    await stop.click();
    const followed = await waitForAnswer(other);
    const original = await waitForAnswer(page);
    expect(await original.getAttribute('data-status')).toBe('stopped');
    expect(['stopped']).toContain(await followed.getAttribute('data-status'));
    expect(await followed.locator('.markdown').innerText()).toBe(await original.locator('.markdown').innerText());
    await context.close();
  } finally {
    await slow.stop();
  }
});

test('an answer followed over HTTP whose conversation is deleted elsewhere says so and stops being read', async () => {
  const slow = await startStack(['--offline-cps', '15']);
  try {
    const { context, page } = await openApp(env.browser, slow.url);
    await signIn(page, 'deleted-under-me');
    await send(page, 'long answer please');
    await page.locator('li.msg.assistant .markdown', { hasText: '[offline model]' }).waitFor();
    const conversationId = /#\/c\/(.+)$/.exec(page.url())![1];

    const other = await context.newPage();
    await other.goto(`${slow.url}/#/c/${conversationId}`);
    await other.getByRole('button', { name: /stop/i }).waitFor();
    const reads: string[] = [];
    other.on('request', (r) => {
      if (r.url().includes(`/api/conversations/${conversationId}/messages`)) reads.push(r.url());
    });
    expect(await deleteFromElsewhere(page, conversationId)).toBe(204);

    const followed = other.locator('li.msg.assistant').last();
    await followed.locator('.msg-error', { hasText: /does not exist/ }).waitFor();
    expect(await followed.getAttribute('aria-busy')).toBe('false');
    expect(await other.getByRole('button', { name: /send/i }).isVisible()).toBe(true);
    // No more reads once the 404 was seen: wait for one poll interval's worth of a request that must not come.
    const seen = reads.length;
    const another = await other.waitForRequest((r) => r.url().includes(`/api/conversations/${conversationId}/messages`), { timeout: 3000 })
      .then(() => true, () => false);
    expect({ seen: seen > 0, another }).toEqual({ seen: true, another: false });
    await context.close();
  } finally {
    await slow.stop();
  }
});
