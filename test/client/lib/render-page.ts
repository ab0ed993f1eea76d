/**
 * A page with only the client's Markdown renderer and stylesheet, laid out as the app lays out an
 * answer (`ol.message-list > li.msg.assistant > .bubble`), for rendering tests that need no stack.
 * highlight.js is inlined in this bundle, but still reached through the same dynamic import.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

const ROOT = path.join(__dirname, '..', '..', '..');
let bundle: string | undefined;

/** The renderer bundled for the page (built once per test file). */
export function rendererBundle(): string {
  bundle ??= buildSync({
    entryPoints: [path.join(__dirname, 'render-entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome111',
    tsconfig: path.join(ROOT, 'tsconfig.dev.json'),
    logLevel: 'warning',
  }).outputFiles[0].text;
  return bundle;
}

/** Opens a page with the renderer and app.css; `#bubble` is where an answer's Markdown goes. */
export async function openRenderPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, ...options });
  const page = await context.newPage();
  const css = fs.readFileSync(path.join(ROOT, 'src', 'client', 'app.css'), 'utf8');
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    + `<style>${css}</style></head><body><div id="messages" class="messages"><ol class="message-list">`
    + '<li class="msg assistant" aria-busy="true"><div id="bubble" class="bubble"></div></li></ol></div></body></html>');
  await page.addScriptTag({ content: rendererBundle() });
  await page.evaluate(() => (window as unknown as { langReady: Promise<unknown> }).langReady);
  return page;
}
