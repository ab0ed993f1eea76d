/**
 * The renderer inside the real app on the real local stack: a Korean message about `<script>`
 * comes back from the (quoting) offline model with every line after the tag (issue 14.3), and the
 * first load fetches only app.js and its language's strings, neither highlight.js nor oidc-client-ts: highlight.js arrives as its own
 * same-origin chunk when the first code block appears (issue 13.6).
 */
import { openApp, screenshot, send, signIn, waitForAnswer } from './lib/browser';
import { startStack, useStackAndBrowser } from './lib/stack';
import { fakeOpenAi } from '../local/lib/fake-openai';

const env = useStackAndBrowser();

test('an answer quoting "<script> 태그 안에…" over several lines keeps every line, live and after a reload', async () => {
  const { context, page, errors } = await openApp(env.browser, env.stack.url, { locale: 'ko-KR' });
  await signIn(page, 'script-tag');
  const lines = ['<script> 태그 안에 코드를 넣으면 브라우저가 실행합니다.', '둘째 줄: <style> 과 <textarea> 도 **태그**입니다.', '셋째 줄에서 끝납니다.'];
  await send(page, lines.join('\n'));
  for (const when of ['live', 'reload']) {
    if (when === 'reload') await page.reload();
    const answer = await waitForAnswer(page);
    const text = await answer.locator('.markdown').innerText();
    for (const line of lines) expect(text).toContain(line.replace(/\*\*/g, ''));
    // The quote of the question (the demo answer around it has bold text of its own).
    expect(await answer.locator('.markdown blockquote strong').allInnerTexts()).toEqual(['태그']);
    expect(await answer.locator('.markdown').locator('script, style, textarea').count()).toBe(0);
  }
  expect(errors).toEqual([]);
  await context.close();
});

test('the first load fetches no highlight.js and no OIDC library; highlight.js comes with the first code block', async () => {
  // Every offline answer has a code block, so the answer without one comes from an
  // OpenAI-compatible model (the fake of test/local/lib), picked in the same conversation.
  const fake = await fakeOpenAi(['평범한 ', '답입니다.']);
  const stack = await startStack(['--model', `openai:qwen-test@${fake.baseUrl}`, '--model', 'offline', '--offline-cps', '400']);
  const { context, page } = await openApp(env.browser, 'about:blank');
  try {
    const scripts: string[] = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
    });
    await page.goto(stack.url);
    await signIn(page, 'lazy-chunks');
    await send(page, '코드가 없는 답을 주세요');
    expect(await (await waitForAnswer(page)).locator('.markdown').innerText()).toBe('평범한 답입니다.');
    // Only the app itself and the page language's strings (English here): not even esbuild's
    // helper chunk, which only highlight.js and oidc-client-ts use.
    expect(scripts).toEqual(['/app.js', expect.stringMatching(/^\/chunks\/strings-en-\w+\.js$/)]);

    await page.getByRole('button', { name: 'Model qwen-test (local)' }).click();
    await page.getByRole('menuitemradio', { name: 'Offline demo' }).click();
    await send(page, '코드:\n```js\nconst lazy = true;\n```');
    const answer = await waitForAnswer(page);
    expect(await answer.locator('.code-block .hljs-keyword').first().innerText()).toBe('const');
    expect(scripts.filter((s) => /highlight/.test(s))).toEqual([expect.stringMatching(/^\/chunks\/highlight-languages-\w+\.js$/)]);
    expect(scripts.filter((s) => /oidc/.test(s))).toEqual([]);
  } finally {
    await context.close();
    await stack.stop();
    await fake.close();
  }
});

test('a table answer at phone width in dark mode scrolls sideways inside the answer (screenshot in test-output/)', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { locale: 'ko-KR', colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  await signIn(page, 'phone-table');
  // The offline model quotes the first 200 characters, so the quoted table is short but wide.
  await send(page, '표:\n| 지역 | 서비스 | 요청 수 | 평균 지연 | 오류율 | 비고 |\n|---|---|---:|---:|---:|---|\n| 서울 | 기록 조회 | 12,345 | 320 ms | 0.1% | 정상 운영 중 |\n| 도쿄 | 채팅 | 4,210 | 410 ms | 0.4% | 캐시 낮음 |\n\n- [x] 확인');
  const answer = await waitForAnswer(page);
  await screenshot(page, 'answer-table-app-phone-dark.png');
  expect(await answer.locator('.markdown blockquote table tr').count()).toBe(3);
  const wrap = answer.locator('.markdown blockquote .table-wrap');
  expect(await wrap.evaluate((w) => w.scrollWidth > w.clientWidth)).toBe(true);
  expect(await page.locator('#messages').evaluate((m) => m.scrollWidth > m.clientWidth)).toBe(false);
  expect(await answer.locator('.markdown blockquote li input[type="checkbox"][disabled]').count()).toBe(1);
  await context.close();
});
