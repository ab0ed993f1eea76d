/**
 * Starts the real local stack CLI as a child process (port 0, in memory, fast offline model)
 * and stops it again. Tests talk to it only as a browser would.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import type { Browser } from 'playwright-core';
import { launch } from './browser';

/** A running local stack. */
export interface RunningStack {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

const ROOT = path.join(__dirname, '..', '..', '..');
/** The CLI under test; CHATBOT_CLI points the suite at another build (e.g. an installed package). */
const CLI = process.env.CHATBOT_CLI ?? path.join(ROOT, 'assets', 'local', 'cli', 'index.js');

/**
 * Starts `cdk-streaming-chatbot dev --port 0 --in-memory` and waits for its ready line. The
 * model is `--model offline` unless `extraArgs` names models itself (`--model` is a list).
 */
export function startStack(extraArgs: string[] = ['--offline-cps', '400']): Promise<RunningStack> {
  const model = extraArgs.includes('--model') ? [] : ['--model', 'offline'];
  const child: ChildProcess = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--in-memory', ...model, ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /ready at (http:\/\/[^\s]+)/.exec(output);
      if (m) {
        child.stdout!.off('data', onData);
        resolve({ url: m[1], stop: () => stopChild(child) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`local stack exited (${code}) before ready:\n${output}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** What a test file shares: one local stack and one Chromium. */
export interface StackAndBrowser {
  readonly stack: RunningStack;
  readonly browser: Browser;
}

/**
 * Starts one local stack and one Chromium for the test file (beforeAll) and stops both (afterAll).
 * Read the fields inside tests, not at module load: they are set by beforeAll.
 */
export function useStackAndBrowser(extraArgs?: string[]): StackAndBrowser {
  const env = {} as { stack: RunningStack; browser: Browser };
  beforeAll(async () => {
    [env.stack, env.browser] = await Promise.all([startStack(extraArgs), launch()]);
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.stack?.stop();
  });
  return env;
}
