/**
 * Issue 11 in real Chromium on the real local stack, run with two models (the offline demo model
 * and an OpenAI-compatible one, the fake of test/local/lib, whose requests the test reads): the
 * model picker per conversation, the model named under each answer (live and after a reload, in
 * both languages), and the instructions panel of the settings menu, whose text reaches the system
 * prompt of the next turn — of that user only.
 */
import type { Browser, Page } from 'playwright-core';
import { lastAnswer, launch, openApp, send, signIn, waitForAnswer } from './lib/browser';
import { RunningStack, startStack } from './lib/stack';
import { MAX_INSTRUCTIONS_BYTES } from '../../src/contract/protocol';
import { fakeOpenAi, FakeOpenAi } from '../local/lib/fake-openai';

let fake: FakeOpenAi;
let stack: RunningStack;
let browser: Browser;

beforeAll(async () => {
  fake = await fakeOpenAi(['가짜 ', '모델의 ', '답입니다.']);
  // Slow enough that an offline answer is still streaming when the test looks at the picker.
  [stack, browser] = await Promise.all([
    startStack(['--model', 'offline', '--model', `openai:qwen-test@${fake.baseUrl}=Fake Qwen`, '--offline-cps', '80']),
    launch(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
});

/** The picker: a menu button named "Model <name>" (the settings menu's pattern, no native select). */
const picker = (page: Page) => page.getByRole('button', { name: /^(Model|모델) / });
const pickedName = (page: Page) => page.locator('#model-name').innerText();
const modelNames = (page: Page) => page.locator('#model-panel [role="menuitemradio"]').allTextContents();
async function pick(page: Page, name: string): Promise<void> {
  await picker(page).click();
  await page.getByRole('menuitemradio', { name }).click();
}
/** Streaming requests the fake OpenAI-compatible server got (titles are not streamed). */
const streamed = () => fake.requests.filter((r) => r.body.stream);

test('pick a model per conversation: sent with the message, named under each answer, still there after a reload; disabled while a reply streams', async () => {
  const { context, page, errors } = await openApp(browser, stack.url);
  await signIn(page, 'picker');
  expect(await modelNames(page)).toEqual(['Offline demo', 'Fake Qwen']);
  expect(await pickedName(page)).toBe('Offline demo');
  expect(await picker(page).getAttribute('aria-haspopup')).toBe('menu');

  // The default model; the picker is disabled while its answer streams, and back after Stop.
  await send(page, 'first question');
  await lastAnswer(page).locator('.markdown', { hasText: '[offline model]' }).waitFor();
  expect(await picker(page).isDisabled()).toBe(true);
  await page.getByRole('button', { name: 'Stop' }).click();
  const first = await waitForAnswer(page);
  expect(await first.locator('.model-name').innerText()).toBe('Offline demo');
  expect(await picker(page).isEnabled()).toBe(true);

  // Another model for the next turn of the same conversation, chosen by keyboard: the menu
  // opens on the checked model, ArrowDown moves, Enter picks and gives focus back to the button.
  await picker(page).focus();
  await page.keyboard.press('Enter');
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Offline demo');
  expect(await page.getByRole('menuitemradio', { name: 'Offline demo' }).getAttribute('aria-checked')).toBe('true');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  expect(await pickedName(page)).toBe('Fake Qwen');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('model-button');
  expect(await page.locator('#model-panel').isHidden()).toBe(true);
  const before = streamed().length;
  await send(page, 'second question');
  const second = await waitForAnswer(page);
  expect(await second.locator('.markdown').innerText()).toBe('가짜 모델의 답입니다.');
  expect(await second.locator('.model-name').innerText()).toBe('Fake Qwen');
  expect(streamed().slice(before).map((r) => r.body.model)).toEqual(['qwen-test']);

  // After a reload: each answer still names its model, and the conversation shows its model.
  await page.reload();
  await page.locator('li.msg.assistant.finished').nth(1).waitFor();
  expect(await page.locator('li.msg.assistant .model-name').allInnerTexts()).toEqual(['Offline demo', 'Fake Qwen']);
  expect(await pickedName(page)).toBe('Fake Qwen');
  // The next turn, sent without touching the picker, stays on the conversation's model.
  await send(page, 'third question');
  expect(await (await waitForAnswer(page)).locator('.model-name').innerText()).toBe('Fake Qwen');

  // Names follow a language switch; a new chat starts on the default model.
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('menuitemradio', { name: '한국어' }).click();
  // The table of the other language is fetched first: wait until the page has switched.
  await page.locator('html[lang="ko"]').waitFor({ state: 'attached' });
  expect(await page.locator('li.msg.assistant .model-name').first().innerText()).toBe('오프라인 데모');
  expect(await modelNames(page)).toEqual(['오프라인 데모', 'Fake Qwen']);
  expect(await pickedName(page)).toBe('Fake Qwen');
  await page.getByRole('button', { name: '새 대화' }).click();
  expect(await pickedName(page)).toBe('오프라인 데모');
  expect(errors).toEqual([]);
  await context.close();
});

/** Opens Settings → Instructions… by keyboard only. */
async function openInstructions(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^(Settings|설정)$/ }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: /Your instructions|내 지침/ }).waitFor();
}

test('the instructions panel (keyboard, UTF-8 byte limit) saves text that ends the system prompt of the next turn, for that user only', async () => {
  const { context, page, errors } = await openApp(browser, stack.url, { locale: 'ko-KR' });
  await signIn(page, 'instructions');
  await openInstructions(page);
  const box = page.getByRole('textbox', { name: '내 지침' });
  await box.waitFor({ state: 'visible' });
  await page.locator('#instructions-input:not([disabled])').waitFor();
  expect(await box.inputValue()).toBe('');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('instructions-input');
  const save = page.getByRole('button', { name: '저장' });

  // The limit counts UTF-8 bytes, Hangul 3 each: 4,000 bytes may be saved, 4,001 may not.
  const atLimit = `${'가'.repeat((MAX_INSTRUCTIONS_BYTES - 1) / 3)}a`;
  await box.fill(atLimit);
  expect(await page.locator('#instructions-count').innerText()).toBe('4,000 / 4,000바이트');
  expect(await save.isEnabled()).toBe(true);
  await box.fill(`${atLimit}b`);
  expect(await page.locator('#instructions-count').innerText()).toMatch(/^4,001 \/ 4,000바이트 — 1바이트 초과/);
  expect(await box.getAttribute('aria-invalid')).toBe('true');
  expect(await save.isDisabled()).toBe(true);

  const text = '항상 존댓말로, 세 문장 이내로 답하세요.';
  await box.fill(text);
  await save.click();
  await page.locator('#toast:visible', { hasText: '지침을 저장했습니다.' }).waitFor();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  // Escape closes a reopened panel, which shows what was saved.
  await openInstructions(page);
  await page.locator('#instructions-input:not([disabled])').waitFor();
  expect(await box.inputValue()).toBe(text);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });

  // The next turn: the offline model shows the end of the system prompt it got, and the
  // OpenAI-compatible server got it as the system message.
  await send(page, '지침이 보이나요?');
  expect(await (await waitForAnswer(page)).locator('.markdown table').innerText()).toContain(text);
  await pick(page, 'Fake Qwen');
  const before = streamed().length;
  await send(page, '이번에는 다른 모델로');
  await waitForAnswer(page);
  const system = streamed().slice(before).map((r) => r.body.messages[0]);
  expect(system).toHaveLength(1);
  expect(system[0].role).toBe('system');
  expect(system[0].content.endsWith(text)).toBe(true);

  // Another user sees no instructions, and their model requests carry none.
  const other = await openApp(browser, stack.url, { locale: 'ko-KR' });
  await signIn(other.page, 'someone-else');
  await openInstructions(other.page);
  await other.page.locator('#instructions-input:not([disabled])').waitFor();
  expect(await other.page.getByRole('textbox', { name: '내 지침' }).inputValue()).toBe('');
  await other.page.keyboard.press('Escape');
  await pick(other.page, 'Fake Qwen');
  const mark = streamed().length;
  await send(other.page, '제 지침은요?');
  await waitForAnswer(other.page);
  expect(streamed().slice(mark).map((r) => r.body.messages[0].content).join('\n')).not.toContain(text);
  expect([...errors, ...other.errors]).toEqual([]);
  await other.context.close();
  await context.close();
});
