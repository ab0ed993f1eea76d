/**
 * Real headless Chromium (the system one) through playwright-core, plus the few steps every
 * client test repeats: open the app, sign in with the local username form, send, wait for the
 * answer to finish.
 */
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';

/** Where tests write screenshots and measurements (git-ignored). */
export const OUTPUT_DIR = path.join(__dirname, '..', '..', '..', 'test-output');

/** Launches headless Chromium with the project's standard flags. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** An open page in its own context, with the errors it logged. */
export interface OpenedApp {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

/** A fresh context (own storage) with a page open on the app, collecting page errors. */
export async function openApp(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<OpenedApp> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 800 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return { context, page, errors };
}

/** Signs in through the local username form and waits for the chat screen. */
export async function signIn(page: Page, username: string): Promise<void> {
  await page.getByRole('textbox', { name: /user|사용자/i }).fill(username);
  await page.getByRole('textbox', { name: /user|사용자/i }).press('Enter');
  await page.getByRole('textbox', { name: /message|메시지/i }).waitFor();
  await page.locator('#connection[data-state="online"]').waitFor();
}

/** The message box. */
export function messageBox(page: Page): Locator {
  return page.getByRole('textbox', { name: /message|메시지/i });
}

/** Types a message and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  await messageBox(page).fill(text);
  await messageBox(page).press('Enter');
}

/** The last assistant answer. */
export function lastAnswer(page: Page): Locator {
  return page.locator('li.msg.assistant').last();
}

/** Waits until the last answer is finished (streamed, stored, usage shown). */
export async function waitForAnswer(page: Page, timeout = 30_000): Promise<Locator> {
  const answer = lastAnswer(page);
  await answer.and(page.locator('.finished')).waitFor({ timeout });
  return answer;
}

/** Saves a full-page screenshot under test-output/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, name);
  await page.screenshot({ path: file });
  return file;
}
