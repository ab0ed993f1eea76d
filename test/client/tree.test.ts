/**
 * The conversation tree in real Chromium against the real local stack (PROTOCOL §13): Edit on a
 * user message, Regenerate on an answer, the `‹ n / m ›` switcher, a reload that keeps the
 * versions chosen, and the model request of the next turn holding exactly the path on screen (as
 * the OpenAI-compatible fake of test/local/lib received it). Also the inline editor by keyboard:
 * Enter sends, Shift+Enter breaks the line, Escape cancels, an IME composition never sends, and
 * the actions are disabled while an answer is being written; and a regenerate refused for the
 * versions limit.
 */
import type { Browser, Locator, Page, WebSocket as PwWebSocket } from 'playwright-core';
import { launch, openApp, send, signIn } from './lib/browser';
import { openProxied } from './lib/proxy';
import { startStack, type RunningStack } from './lib/stack';
import { fakeOpenAi, type FakeOpenAi } from '../local/lib/fake-openai';

let fake: FakeOpenAi;
let stack: RunningStack;
let browser: Browser;

beforeAll(async () => {
  // Every streamed answer is different: "Answer 1", "Answer 2", … in the order they were asked.
  let answers = 0;
  fake = await fakeOpenAi(() => ['Answer ', `${++answers}`]);
  [stack, browser] = await Promise.all([
    startStack(['--model', 'openai', '--openai-base-url', fake.baseUrl, '--model-id', 'qwen-test']),
    launch(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

/** The app signed in as `user`, recording the frames the page sends. */
async function openRecording(url: string, user: string): Promise<{ page: Page; frames: any[] }> {
  const { page } = await openApp(browser, 'about:blank');
  const frames: any[] = [];
  page.on('websocket', (ws: PwWebSocket) => ws.on('framesent', (f) => {
    const frame = JSON.parse(String(f.payload));
    if (frame.action !== 'ping') frames.push(frame);
  }));
  await page.goto(url);
  await signIn(page, user);
  return { page, frames };
}

/** The messages on screen, as `role: text`. */
function shownPath(page: Page): Promise<string[]> {
  return page.locator('li.msg').evaluateAll((items) => items.map((li) => (li.classList.contains('user')
    ? `user: ${li.querySelector('.user-text')!.textContent}`
    : `assistant: ${li.querySelector('.markdown')!.textContent!.trim()}`)));
}

/** What the model was sent for the newest answer (the system prompt left out), as `role: text`. */
function lastModelRequest(): string[] {
  const streamed = fake.requests.filter((r) => r.body.stream);
  return streamed[streamed.length - 1].body.messages.filter((m: any) => m.role !== 'system').map((m: any) => `${m.role}: ${m.content}`);
}

/** Waits until `n` answers are on screen and all are finished. */
async function finishedAnswers(page: Page, n: number): Promise<void> {
  await page.locator('li.msg.assistant').nth(n - 1).waitFor();
  await page.waitForFunction((count) => {
    const answers = document.querySelectorAll('li.msg.assistant');
    return answers.length === count && [...answers].every((a) => a.classList.contains('finished'));
  }, n);
  // The controller is idle again (the actions are enabled) once the last answer is finished.
  await page.locator('li.msg.assistant').last().getByRole('button', { name: 'Regenerate answer' }).and(page.locator(':enabled')).waitFor();
}

/** The `n / m` a message's switcher shows ('' when it has none). */
async function versionOf(li: Locator): Promise<string> {
  return (await li.locator('.version-of').count()) ? li.locator('.version-of').innerText() : '';
}

test('edit turn 2 of 5, regenerate the last answer twice, switch versions, reload: the chosen path stays, and the next turn sends the model exactly that path', async () => {
  const { page, frames } = await openRecording(stack.url, 'tree-user');
  const turns = ['q1', 'q2', 'q3', 'q4', 'q5'];
  for (const [i, q] of turns.entries()) {
    await send(page, q);
    await finishedAnswers(page, i + 1);
  }
  const original = turns.flatMap((q, i) => [`user: ${q}`, `assistant: Answer ${i + 1}`]);
  expect(await shownPath(page)).toEqual(original);
  const conversationId = /#\/c\/(.+)$/.exec(page.url())![1];
  const firstReply = await page.locator('li.msg.assistant').first().getAttribute('data-reply-id');

  // Edit turn 2: everything below it goes, the new branch follows it.
  const turn2 = page.locator('li.msg.user').nth(1);
  await turn2.getByRole('button', { name: 'Edit message' }).click();
  const editor = page.getByRole('textbox', { name: 'Edit message' });
  expect(await editor.inputValue()).toBe('q2');
  await editor.fill('q2, edited');
  await editor.press('Enter');
  await finishedAnswers(page, 2);
  expect(await shownPath(page)).toEqual(['user: q1', 'assistant: Answer 1', 'user: q2, edited', 'assistant: Answer 6']);
  const edit = frames.filter((f) => f.action === 'sendMessage').pop();
  expect(edit).toMatchObject({ conversationId, parentId: firstReply, text: 'q2, edited' });
  expect(lastModelRequest()).toEqual(['user: q1', 'assistant: Answer 1', 'user: q2, edited']);
  expect(await versionOf(page.locator('li.msg.user').nth(1))).toBe('2 / 2');

  // Regenerate the last answer twice: a fresh messageId each time, for the edited message.
  const editedId = await page.locator('li.msg.user').nth(1).getAttribute('data-message-id');
  for (const [n, shown] of [[7, '2 / 2'], [8, '3 / 3']] as const) {
    // The model holds the answer back: while it is being written, every Edit, Regenerate and
    // switcher arrow is disabled.
    let release!: () => void;
    fake.hold = new Promise((resolve) => {
      release = resolve;
    });
    await page.locator('li.msg.assistant').last().getByRole('button', { name: 'Regenerate answer' }).click();
    await page.locator('li.msg.assistant[data-reply-id][aria-busy="true"]').waitFor();
    const actions = await page.locator('.answer-regenerate, .msg-edit, .versions button').evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).disabled));
    expect(actions.length).toBeGreaterThanOrEqual(4);
    expect(actions.every(Boolean)).toBe(true);
    fake.hold = undefined;
    release();
    await page.locator('li.msg.assistant .markdown', { hasText: `Answer ${n}` }).waitFor();
    await finishedAnswers(page, 2);
    expect(await shownPath(page)).toEqual(['user: q1', 'assistant: Answer 1', 'user: q2, edited', `assistant: Answer ${n}`]);
    expect(lastModelRequest()).toEqual(['user: q1', 'assistant: Answer 1', 'user: q2, edited']);
    expect(await versionOf(page.locator('li.msg.assistant').last())).toBe(shown);
  }
  const regenerates = frames.filter((f) => f.action === 'regenerate');
  expect(regenerates).toHaveLength(2);
  expect(regenerates.map((f) => f.userMessageId)).toEqual([editedId, editedId]);
  expect(new Set(regenerates.map((f) => f.messageId)).size).toBe(2);

  // Back one answer version, by keyboard: the focus stays on the switcher.
  await page.locator('li.msg.assistant').last().getByRole('button', { name: 'Previous version' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('li.msg.assistant .markdown', { hasText: 'Answer 7' }).waitFor();
  expect(await versionOf(page.locator('li.msg.assistant').last())).toBe('2 / 3');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Previous version');

  // Back to the first version of turn 2: the whole original conversation below it returns.
  await page.locator('li.msg.user').nth(1).getByRole('button', { name: 'Previous version' }).click();
  await page.locator('li.msg.user .user-text', { hasText: /^q5$/ }).waitFor();
  expect(await shownPath(page)).toEqual(original);
  expect(await versionOf(page.locator('li.msg.user').nth(1))).toBe('1 / 2');
  await page.reload();
  await finishedAnswers(page, 5);
  expect(await shownPath(page)).toEqual(original);
  expect(await versionOf(page.locator('li.msg.user').nth(1))).toBe('1 / 2');

  // Forward again: the edited branch comes back with the answer version last chosen there.
  await page.locator('li.msg.user').nth(1).getByRole('button', { name: 'Next version' }).click();
  await page.locator('li.msg.user .user-text', { hasText: 'q2, edited' }).waitFor();
  const chosen = ['user: q1', 'assistant: Answer 1', 'user: q2, edited', 'assistant: Answer 7'];
  expect(await shownPath(page)).toEqual(chosen);
  await page.reload();
  await finishedAnswers(page, 2);
  expect(await shownPath(page)).toEqual(chosen);
  expect(await versionOf(page.locator('li.msg.user').nth(1))).toBe('2 / 2');
  expect(await versionOf(page.locator('li.msg.assistant').last())).toBe('2 / 3');

  // The next turn: the model sees exactly the path on screen.
  await send(page, 'q6');
  await finishedAnswers(page, 3);
  expect(lastModelRequest()).toEqual([...chosen, 'user: q6']);
  expect(await shownPath(page)).toEqual([...chosen, 'user: q6', 'assistant: Answer 9']);
  await page.context().close();
});

test('the inline editor by keyboard: Enter opens it, Shift+Enter breaks the line, Escape cancels, an IME composition never sends; actions wait while an answer is written', async () => {
  const { page, frames } = await openRecording(stack.url, 'tree-keys');
  const sends = () => frames.filter((f) => f.action === 'sendMessage');
  await send(page, 'first');
  await finishedAnswers(page, 1);
  const conversationId = /#\/c\/(.+)$/.exec(page.url())![1];
  const user = page.locator('li.msg.user').first();
  const editButton = user.getByRole('button', { name: 'Edit message' });

  await editButton.focus();
  await page.keyboard.press('Enter');
  const editor = page.getByRole('textbox', { name: 'Edit message' });
  await editor.waitFor();
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Edit message');
  await page.keyboard.type(' line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('two');
  expect(await editor.inputValue()).toBe('first line\ntwo');
  await page.keyboard.press('Escape');
  await editor.waitFor({ state: 'detached' });
  expect(await user.locator('.user-text').innerText()).toBe('first');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Edit message');
  expect(sends()).toHaveLength(1);

  // Open again: the message's own text, not the cancelled edit.
  await page.keyboard.press('Enter');
  expect(await editor.inputValue()).toBe('first');
  await editor.fill('고친 ');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.imeSetComposition', { text: '메', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.imeSetComposition', { text: '멧', selectionStart: 1, selectionEnd: 1 });
  // Enter while composing, the IME's own Enter (keyCode 229), and the Escape that cancels a
  // composition: none of them sends or closes the editor.
  for (const [key, code] of [['Enter', 13], ['Enter', 229], ['Escape', 229]] as const) {
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key, code: key, windowsVirtualKeyCode: code });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code: key, windowsVirtualKeyCode: code });
  }
  await cdp.send('Input.insertText', { text: '메시지' });
  expect(await editor.isVisible()).toBe(true);
  expect(sends()).toHaveLength(1);
  // Safari's order: compositionend before the committing Enter (isComposing false, keyCode 229).
  const prevented = await editor.evaluate((el: HTMLTextAreaElement) => {
    el.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
    el.dispatchEvent(new CompositionEvent('compositionend', { data: '지' }));
    const enter = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', isComposing: false, bubbles: true, cancelable: true });
    Object.defineProperty(enter, 'keyCode', { value: 229 });
    el.dispatchEvent(enter);
    return enter.defaultPrevented;
  });
  expect(prevented).toBe(false);
  expect(sends()).toHaveLength(1);

  // A plain Enter sends the edit: the first message's parent is the conversation itself. The
  // model holds its answer back until the test has looked at the page while it is being written.
  let release!: () => void;
  fake.hold = new Promise((resolve) => {
    release = resolve;
  });
  await editor.fill('고친 메시지');
  await editor.press('Enter');
  await page.locator('li.msg.assistant[data-reply-id][aria-busy="true"]').waitFor();
  expect(sends()).toHaveLength(2);
  expect(sends()[1]).toMatchObject({ conversationId, parentId: conversationId, text: '고친 메시지' });
  // While the answer is written, Edit and the switcher are disabled.
  expect(await page.locator('.msg-edit, .versions button').evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).disabled))).toEqual([true, true, true]);
  fake.hold = undefined;
  release();
  await finishedAnswers(page, 1);
  expect(await versionOf(page.locator('li.msg.user').first())).toBe('2 / 2');
  // Enabled again: Previous (there is one), Edit; Next stays disabled at the last version.
  expect(await page.locator('.msg-edit, .versions button').evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).disabled))).toEqual([false, true, false]);
  await page.context().close();
});

test('a regenerate refused for the versions limit says so, and a reload shows the conversation as it was', async () => {
  const { page } = await openProxied(browser, stack.url, 'tree-limit', {
    up: (frame, route) => {
      if (frame.action !== 'regenerate') return true;
      // The server's answer to a 101st version of one message (PROTOCOL §13), played by the test
      // gateway: reaching it for real takes 100 regenerates.
      route.send(JSON.stringify({ type: 'error', code: 'TOO_LARGE', message: 'A message has at most 100 versions.', retryable: false, messageId: frame.messageId }));
      return false;
    },
  });
  await send(page, 'one question');
  await finishedAnswers(page, 1);
  const before = await shownPath(page);
  await page.locator('li.msg.assistant').getByRole('button', { name: 'Regenerate answer' }).click();
  const error = page.locator('li.msg.assistant .msg-error');
  await error.waitFor();
  expect(await error.innerText()).toContain('This message has as many versions as it can have.');
  await page.reload();
  await finishedAnswers(page, 1);
  expect(await shownPath(page)).toEqual(before);
  expect(await versionOf(page.locator('li.msg.assistant'))).toBe('');
  await page.context().close();
});
