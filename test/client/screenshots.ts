/**
 * Writes the README's screenshots to test-output/screenshots/: the empty state (light and dark),
 * a long Korean answer (heading, list, code, table), the same answer at phone width in dark mode,
 * the settings menu, and the first answer a newcomer gets from the offline demo model. Not a
 * test: run it after `npx projen bundle` and look at the PNGs.
 *
 *   npx ts-node --transpile-only --project tsconfig.dev.json test/client/screenshots.ts
 *
 * The long answer comes from the fake OpenAI-compatible server of test/local/lib (real HTTP and
 * SSE), so that stack runs with `--model openai` pointed at it; the first-answer shot runs a
 * second stack with the models `npm start` offers without AWS credentials (offline and
 * offline-fast). Nothing leaves the machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launch, OUTPUT_DIR, openApp, send, signIn, waitForAnswer } from './lib/browser';
import { startStack } from './lib/stack';
import { fakeOpenAi } from '../local/lib/fake-openai';

/** The long answer: every block the renderer styles. */
export const LONG_ANSWER = [
  '## WebSocket 스트리밍 요약\n\n',
  '답변은 **토큰 단위**로 흘러옵니다. 주요 단계는 다음과 같습니다.\n\n',
  '1. 클라이언트가 `sendMessage` 프레임을 보냅니다.\n',
  '2. Lambda가 Bedrock `ConverseStream`을 호출합니다.\n',
  '3. 각 조각을 `@connections`로 되돌려 보냅니다.\n\n',
  '- 중지: `stop` 프레임\n- 재연결: 마지막 조각부터 이어받기\n\n',
  '```ts\nconst socket = new WebSocket(url);\nsocket.onmessage = (e) => {\n  const frame = JSON.parse(e.data);\n  if (frame.type === "delta") render(frame.text);\n};\n```\n\n',
  '| 구분 | 지연 시간 | 비용 | 비고 |\n|---|---|---|---|\n',
  '| 폴링 | 높음 (요청마다 왕복) | 요청 수에 비례 | 구현이 단순함 |\n',
  '| WebSocket | 낮음 (첫 토큰 즉시) | 연결 시간에 비례 | 스트리밍에 적합 |\n\n',
  '자세한 내용은 PROTOCOL.md를 참고하세요.\n',
];

const DIR = path.join(OUTPUT_DIR, 'screenshots');

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(DIR, name) });
  console.log(path.join('test-output', 'screenshots', name));
}

async function session(
  browser: Browser, url: string, user: string, options: BrowserContextOptions, body: (page: Page) => Promise<void>,
): Promise<void> {
  const { context, page, errors } = await openApp(browser, url, { viewport: { width: 1100, height: 720 }, ...options });
  await signIn(page, user);
  await body(page);
  await context.close();
  if (errors.length) throw new Error(`page errors (${user}): ${errors.join('\n')}`);
}

async function main(): Promise<void> {
  fs.mkdirSync(DIR, { recursive: true });
  const fake = await fakeOpenAi(LONG_ANSWER);
  const [stack, browser] = await Promise.all([
    startStack(['--model', 'openai', '--openai-base-url', fake.baseUrl, '--model-id', 'qwen-test']),
    launch(),
  ]);
  try {
    await session(browser, stack.url, 'shots-empty', { locale: 'ko-KR', colorScheme: 'light' }, async (page) => {
      await shoot(page, 'empty-light.png');
    });
    await session(browser, stack.url, 'shots-dark', { locale: 'ko-KR', colorScheme: 'dark' }, async (page) => {
      await shoot(page, 'empty-dark.png');
      await page.getByRole('button', { name: /Settings|설정/ }).click();
      await page.getByRole('menu').waitFor();
      await shoot(page, 'settings-menu-dark.png');
    });
    await session(browser, stack.url, 'shots-answer', { locale: 'ko-KR', colorScheme: 'light', viewport: { width: 1100, height: 860 } }, async (page) => {
      await send(page, 'WebSocket 스트리밍이 어떻게 동작하는지 표와 코드로 정리해 줘');
      await waitForAnswer(page);
      await page.locator('li.msg.assistant .hljs').first().waitFor();
      await shoot(page, 'long-answer-light.png');
    });
    await session(browser, stack.url, 'shots-phone', { locale: 'ko-KR', colorScheme: 'dark', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, async (page) => {
      await send(page, 'WebSocket 스트리밍이 어떻게 동작하는지 표와 코드로 정리해 줘');
      await waitForAnswer(page);
      await page.locator('li.msg.assistant table').scrollIntoViewIfNeeded();
      await shoot(page, 'table-phone-dark.png');
    });
    // What `npm start` answers first on a machine without AWS credentials.
    const offline = await startStack(['--model', 'offline,offline-fast', '--offline-cps', '2000']);
    try {
      await session(browser, offline.url, 'shots-first', { locale: 'ko-KR', colorScheme: 'light', viewport: { width: 1100, height: 1040 } }, async (page) => {
        await send(page, '서울에서 부산까지 가장 빠른 방법은?');
        await waitForAnswer(page);
        await page.locator('li.msg.assistant .hljs').first().waitFor();
        await shoot(page, 'first-answer-offline.png');
      });
    } finally {
      await offline.stop();
    }
  } finally {
    await browser.close();
    await stack.stop();
    await fake.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
