/**
 * A `sendMessage` lost on the way (API Gateway or Lambda dropped the asynchronous event): the
 * client resends it with the same messageId when no `accepted` comes in time, a few times with
 * growing waits, then shows Retry. The page's WebSocket runs through a proxy that plays the
 * gateway dropping frames.
 */
import type { Page } from 'playwright-core';
import { lastAnswer, send, waitForAnswer } from './lib/browser';
import { openProxied } from './lib/proxy';
import { useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser();

/** What is stored after a reload: one question, one answer. */
async function storedOnce(page: Page): Promise<void> {
  await page.reload();
  await page.locator('li.msg.assistant.finished').waitFor();
  expect(await page.locator('li.msg.user').count()).toBe(1);
  expect(await page.locator('li.msg.assistant').count()).toBe(1);
}

test('the first sendMessage is dropped: the client resends it (same messageId, default wait) and the answer comes once', async () => {
  let dropped = 0;
  const { page, upFrames } = await openProxied(env.browser, env.stack.url, 'dropped-once', {
    up: (frame) => !(frame.action === 'sendMessage' && dropped++ === 0),
  });
  await send(page, 'lost on the way');
  const answer = await waitForAnswer(page);
  expect(['end_turn', 'complete']).toContain(await answer.getAttribute('data-status'));
  // One connection, the same message twice.
  const sends = upFrames.flat().filter((f) => f.action === 'sendMessage');
  expect(upFrames).toHaveLength(1);
  expect(sends).toHaveLength(2);
  expect(sends[1].messageId).toBe(sends[0].messageId);
  expect(await answer.locator('.markdown').innerText()).toContain('lost on the way');
  await storedOnce(page);
  await page.context().close();
});

test('every sendMessage is dropped: after the resends the message shows failed with Retry, which then goes through with the same messageId', async () => {
  let dropping = true;
  const { page, upFrames } = await openProxied(env.browser, env.stack.url, 'dropped-always', {
    up: (frame) => !(dropping && frame.action === 'sendMessage'),
  }, { 'chatbot.acceptTimeoutMs': '300' });
  await send(page, 'never confirmed');
  const error = lastAnswer(page).locator('.msg-error:not([hidden])');
  await error.waitFor({ timeout: 15_000 });
  expect(await error.innerText()).toContain('The server did not confirm this message');
  const sends = () => upFrames.flat().filter((f) => f.action === 'sendMessage');
  // The first send and two resends, all with one messageId.
  expect(sends()).toHaveLength(3);
  expect(new Set(sends().map((f) => f.messageId)).size).toBe(1);
  // Nothing is sent any more once it shows failed; the composer is free again.
  expect(await page.getByRole('button', { name: 'Send' }).isVisible()).toBe(true);

  dropping = false;
  await error.getByRole('button', { name: 'Retry' }).click();
  const answer = await waitForAnswer(page);
  expect(['end_turn', 'complete']).toContain(await answer.getAttribute('data-status'));
  // Retry sends the same message again; on a loaded machine its own 300 ms wait may run out
  // before `accepted` and resend once more, which the server answers from the claim.
  expect(sends().length).toBeGreaterThanOrEqual(4);
  expect(new Set(sends().map((f) => f.messageId)).size).toBe(1);
  await storedOnce(page);
  await page.context().close();
});

test('a resend answered BUSY while its first send still holds the conversation waits for that first send\'s accepted', async () => {
  // The gateway holds the first send back; when the resend comes it answers it BUSY, as the
  // server does when the first send has taken the conversation's lease but not yet claimed the
  // message, and only then lets the first send through.
  let held: (() => void) | undefined;
  let sends = 0;
  const { page } = await openProxied(env.browser, env.stack.url, 'busy-resend', {
    up: (frame, route, _connection, forward) => {
      // The conversation's first message goes through as usual.
      if (frame.action !== 'sendMessage' || frame.conversationId === undefined) return true;
      if (++sends === 1) {
        held = forward;
        return false;
      }
      if (sends === 2) {
        route.send(JSON.stringify({ type: 'error', code: 'BUSY', message: 'busy (played by the test gateway)', retryable: true, messageId: frame.messageId }));
        held!();
        return false;
      }
      return true;
    },
  }, { 'chatbot.acceptTimeoutMs': '300' });
  await send(page, 'opening');
  await waitForAnswer(page);
  await send(page, 'held back, then let through');
  const answer = await waitForAnswer(page);
  expect(['end_turn', 'complete']).toContain(await answer.getAttribute('data-status'));
  expect(await answer.locator('.msg-error').isHidden()).toBe(true);
  expect(await answer.locator('.markdown').innerText()).toContain('held back, then let through');
  await page.context().close();
});

