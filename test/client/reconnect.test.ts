/**
 * Connection trouble in real Chromium against the local stack. The page's WebSocket runs through
 * Playwright's WebSocket routing (a transparent proxy to the real gateway) so a test can kill it
 * or lose a frame at a chosen moment: an answer still appears complete after the socket dies
 * mid-answer, a seq gap is repaired over HTTP, and a send cut off by a reconnect goes out again
 * with the same messageId and is stored once.
 */
import type { Page } from 'playwright-core';
import { lastAnswer, send, waitForAnswer } from './lib/browser';
import { openProxied as openProxiedAt, type Proxy } from './lib/proxy';
import { useStackAndBrowser } from './lib/stack';

// Slow enough that a test can act mid-answer.
const env = useStackAndBrowser(['--offline-cps', '150']);

function openProxied(user: string, proxy: Proxy) {
  return openProxiedAt(env.browser, env.stack.url, user, proxy);
}

/** The text stored for the last answer, read back after a reload. */
async function storedAnswer(page: Page): Promise<string> {
  await page.reload();
  await lastAnswer(page).and(page.locator('.finished')).waitFor();
  return lastAnswer(page).locator('.markdown').innerText();
}

test('the socket killed mid-answer: after the reconnect the answer still appears complete', async () => {
  let deltas = 0;
  const { page, routes } = await openProxied('killed', {
    down(frame, route, connection) {
      if (connection === 0 && frame.type === 'delta' && ++deltas === 3) {
        void route.close({ code: 1011, reason: 'killed by test' });
        return false;
      }
      return true;
    },
  });
  // The offline state lasts only until the reconnect (a few hundred ms): record every state the
  // indicator shows rather than hoping to catch that one while polling on a busy machine.
  await page.evaluate(() => {
    const el = document.getElementById('connection')!;
    const seen: string[] = [];
    (window as unknown as { __states: string[] }).__states = seen;
    new MutationObserver(() => seen.push(el.dataset.state ?? '')).observe(el, { attributes: true, attributeFilter: ['data-state'] });
  });
  await send(page, 'tell me a long story');
  const answer = await waitForAnswer(page);
  await page.locator('#connection[data-state="online"]').waitFor();
  const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
  expect(states.slice(states.indexOf('offline'))).toContain('online');
  expect(states).toContain('offline');
  expect(routes.length).toBeGreaterThanOrEqual(2);
  expect(['end_turn', 'complete']).toContain(await answer.getAttribute('data-status'));
  expect(await answer.locator('.usage').innerText()).toMatch(/Tokens: \d+ in · \d+ out/);
  const shown = await answer.locator('.markdown').innerText();
  expect(shown).toContain('tell me a long story');
  expect(shown.length).toBeGreaterThanOrEqual(300);
  expect(await storedAnswer(page)).toBe(shown);
  await page.context().close();
});

test('a lost delta (seq gap) is repaired by reading the answer over HTTP', async () => {
  const { page } = await openProxied('gap', {
    down: (frame) => !(frame.type === 'delta' && frame.seq === 2),
  });
  await send(page, 'a message whose answer loses a piece');
  const answer = await waitForAnswer(page);
  const shown = await answer.locator('.markdown').innerText();
  expect(shown).toContain('a message whose answer loses a piece');
  expect(await storedAnswer(page)).toBe(shown);
  await page.context().close();
});

test('a send cut off by a lost connection is retried with the same messageId and stored once', async () => {
  const { page, upFrames } = await openProxied('retry', {
    // The first connection delivers the message but loses the server's answers, then dies.
    down: (frame, route, connection) => {
      if (connection !== 0) return true;
      if (frame.type === 'accepted') void route.close({ code: 1011, reason: 'killed by test' });
      return false;
    },
  });
  await send(page, 'retry me once');
  const answer = await waitForAnswer(page);
  const sent = upFrames.map((frames) => frames.filter((f) => f.action === 'sendMessage').map((f) => f.messageId));
  expect(sent[0]).toHaveLength(1);
  expect(sent[1]).toEqual(sent[0]);
  expect(['end_turn', 'complete']).toContain(await answer.getAttribute('data-status'));
  const shown = await answer.locator('.markdown').innerText();
  expect(await storedAnswer(page)).toBe(shown);
  expect(await page.locator('li.msg.user').count()).toBe(1);
  expect(await page.locator('li.msg.assistant').count()).toBe(1);
  await page.context().close();
});
