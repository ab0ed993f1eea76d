/**
 * Model output is untrusted: the offline model quotes the user's message back, so a message full
 * of HTML must come back as harmless text, both while it streams and when read from history.
 * The page runs with its CSP bypassed so that only sanitizing (not the CSP) can stop the payloads.
 */
import type { Page } from 'playwright-core';
import { lastAnswer, openApp, send, signIn, waitForAnswer } from './lib/browser';
import { useStackAndBrowser } from './lib/stack';

const env = useStackAndBrowser();

const PAYLOAD = [
  '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
  '<script>window.__xss=(window.__xss||0)+1</script>',
  '<svg onload="window.__xss=(window.__xss||0)+1"></svg>',
  '[click me](javascript:window.__xss=1)',
].join(' ');

async function assertInert(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  const markdown = page.locator('li.msg.assistant .markdown');
  expect(await markdown.locator('img, script, svg, iframe').count()).toBe(0);
  const handlers = await markdown.evaluateAll((roots) => roots.flatMap((root) => Array.from(root.querySelectorAll('*'))
    .flatMap((el) => Array.from(el.attributes).map((a) => a.name).filter((n) => n.startsWith('on')))));
  expect(handlers).toEqual([]);
  const hrefs = await markdown.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
  expect(hrefs.filter((h) => /^\s*javascript:/i.test(h))).toEqual([]);
}

test('HTML quoted back by the model is sanitized and never runs, live and from history', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url, { bypassCSP: true });
  // Prove the page would run such a payload if it reached the DOM unsanitized.
  await page.evaluate(() => {
    const probe = document.createElement('div');
    probe.innerHTML = '<img src=x onerror="window.__probe=1">';
    document.body.append(probe);
  });
  await page.waitForFunction(() => (window as unknown as { __probe?: number }).__probe === 1);

  await signIn(page, 'mallory');
  await send(page, PAYLOAD);
  const answer = await waitForAnswer(page);
  // The model did quote it (so the payload went through the renderer) …
  expect(await answer.locator('.markdown').innerText()).toContain('click me');
  // … and the user's own message shows it as the literal text it is.
  expect(await page.locator('li.msg.user').innerText()).toContain('<img src=x onerror=');
  await assertInert(page);

  await page.reload();
  await lastAnswer(page).and(page.locator('.finished')).waitFor();
  expect(await page.locator('li.msg.user').innerText()).toContain('<script>window.__xss');
  await assertInert(page);
  await context.close();
});

test('model output cannot borrow the app\'s element ids or classes (no spoofed toast, no hijacked lookups)', async () => {
  const { context, page } = await openApp(env.browser, env.stack.url);
  await signIn(page, 'spoofer');
  // The offline model quotes this back; #toast and .toast are the app's own (a fixed overlay).
  await send(page, '<div id="toast" class="toast copy-code" name="x">Session expired: sign in at evil.example</div>\n\n```js\nlet a = 1;\n```');
  const answer = await waitForAnswer(page);
  const markdown = answer.locator('.markdown');
  expect(await markdown.innerText()).toContain('Session expired');
  expect(await markdown.locator('[id], [name]').count()).toBe(0);
  // Only the classes marked (language-*) and the client itself (code blocks, highlighting) add.
  const classes = await markdown.evaluate((root) => Array.from(root.querySelectorAll('[class]'))
    .flatMap((el) => Array.from(el.classList)));
  // (table-wrap and highlight.js's sub-scopes such as `function_` come with the demo answer's table and code.)
  expect(classes.filter((c) => !/^(language-[\w+-]+|hljs(-[\w-]+)?|[a-z]+_|table-wrap|code-(block|bar|lang)|copy-code|md-(done|live))$/.test(c))).toEqual([]);
  expect(await markdown.locator('blockquote .copy-code').evaluateAll((els) => els.map((e) => e.tagName))).toEqual(['BUTTON']);
  // The app's own toast is still the one its code finds.
  expect(await page.evaluate(() => document.getElementById('toast')?.closest('.markdown'))).toBeNull();
  await context.close();
});
